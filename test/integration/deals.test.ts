import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type Emulator, type PortalSeed, startEmulator } from 'b24-emulator';
import { createLeadsFeature, type DealsServices, type LeadsServices } from '../../src/crm/feature.ts';
import type { QueueRulesInput } from '../../src/engine/index.ts';
import type { OperatorDirectory } from '../../src/operators/index.ts';
import type { PortalClient } from '../../src/portal/client.ts';
import { dealSettingsSchema } from '../../src/settings/deals.ts';
import { leadSettingsSchema } from '../../src/settings/schema.ts';
import {
  startTestApp,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  type TestApp,
  waitFor,
} from '../helpers/context.ts';

/** Admin 1, operators 2–5; a second pipeline "Wholesale" (1). */
const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true },
    { id: 2, name: 'Boris', lastName: 'Ivanov' },
    { id: 3, name: 'Vera', lastName: 'Petrova' },
    { id: 4, name: 'Gleb', lastName: 'Sokolov' },
    { id: 5, name: 'Daria', lastName: 'Kuznetsova' },
  ],
  dealCategories: [{ id: 1, name: 'Wholesale' }],
};

interface Portal {
  emu: Emulator;
  app: TestApp;
  memberId: string;
  deals: DealsServices;
  leads: LeadsServices;
  close(): Promise<void>;
}

const open: Portal[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

async function portal(deals: Record<string, unknown>, leads: Record<string, unknown> = { enabled: false }) {
  const emu = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: false,
    timerIntervalMs: 0,
    language: 'en',
    seed: SEED,
  });
  const app = await startTestApp({ env: { B24_OAUTH_SERVER: emu.url }, features: [createLeadsFeature()] });
  const p: Portal = {
    emu,
    app,
    memberId: emu.memberId,
    deals: app.ctx.services.deals as DealsServices,
    leads: app.ctx.services.leads as LeadsServices,
    async close() {
      await app.close();
      await emu.stop();
    },
  };
  open.push(p);
  const page = await emu.install({ appBaseUrl: app.url });
  assert.equal(page.status, 200, page.body);
  emu.finishInstall();
  await waitFor(
    () => [...emu.state.bindings.values()].some((b) => b.event === 'ONCRMDEALMOVETOCATEGORY'),
    'events bound',
  );
  await app.ctx.settings.write(emu.memberId, 'deals', dealSettingsSchema, { enabled: true, ...deals }, null);
  await app.ctx.settings.write(emu.memberId, 'leads', leadSettingsSchema, leads, null);
  await settle(p);
  emu.resetCalls();
  return p;
}

async function settle(p: Portal): Promise<void> {
  let quiet = 0;
  await waitFor(async () => {
    await p.emu.idle();
    const busy = (await p.app.ctx.inbox.list({ memberId: p.memberId })).some(
      (r) => r.state === 'pending' || r.state === 'processing',
    );
    assert.deepEqual(
      (await p.app.ctx.inbox.listDead(p.memberId)).map((r) => r.lastError),
      [],
      'no event may be dead-lettered',
    );
    quiet = busy ? 0 : quiet + 1;
    return quiet >= 2;
  }, 'the app to settle');
}

const queueOf = (ids: number[], extra: Partial<QueueRulesInput> = {}): QueueRulesInput => ({
  mode: 'evenly',
  queue: ids.map((id) => ({ id })),
  ...extra,
});
const deal = (p: Portal, id: number) => p.emu.state.crm.deals.get(id)!;
const comments = (p: Portal, id: number) =>
  [...p.emu.state.crm.comments.values()].filter((c) => c.entityType === 'deal' && c.entityId === id);
const logOf = async (p: Portal, id: number) =>
  (await p.app.ctx.assignmentLog.recent(p.memberId, { kind: 'deal', objectId: String(id) })).reverse();
const callsTo = (p: Portal, method: string) => p.emu.calls.filter((c) => c.method === method);
const syncJob = async (p: Portal, now = Date.now()) =>
  p.leads.sync({
    memberId: p.memberId,
    client: await p.app.ctx.clients.get(p.memberId),
    now,
    dryRun: false,
    log: p.app.ctx.log,
  });

describe('deals: distribution', () => {
  test('off until turned on: a new deal is left to the portal', async () => {
    const p = await portal({ enabled: false, rules: queueOf([2, 3]) });
    const id = p.emu.sim.addDeal({ title: 'Robot deal' });
    await settle(p);
    assert.equal(deal(p, id).assignedById, 1);
    assert.equal(callsTo(p, 'crm.item.get').length, 0, 'not even read');
  });

  test('routes per pipeline and source; the same engine, a timeline comment on the deal, the log says deal', async () => {
    const p = await portal({
      rules: queueOf([2, 3]),
      routes: [
        { name: 'Wholesale', categoryIds: [1], rules: queueOf([4]) },
        { name: 'Calls', sources: ['CALL'], rules: queueOf([5]) },
      ],
    });
    const general = [p.emu.sim.addDeal({ title: 'G1' }), p.emu.sim.addDeal({ title: 'G2' })];
    const wholesale = p.emu.sim.addDeal({ title: 'W', categoryId: 1, sourceId: 'CALL' });
    const call = p.emu.sim.addDeal({ title: 'C', sourceId: 'CALL' });
    await settle(p);
    // One each, evenly; which of the two is decided first is the event queue's business.
    assert.deepEqual(general.map((id) => deal(p, id).assignedById).sort(), [2, 3]);
    assert.equal(deal(p, wholesale).assignedById, 4, 'the first matching route: pipeline before source');
    assert.equal(deal(p, call).assignedById, 5);
    const boris = general.find((id) => deal(p, id).assignedById === 2)!;
    assert.match(
      comments(p, boris)[0].comment,
      /^Dispatcher \(default deal queue\): Assigned to Boris Ivanov/,
    );
    assert.match(comments(p, wholesale)[0].comment, /^Dispatcher \(queue "Wholesale"\)/);
    assert.deepEqual(
      (await logOf(p, wholesale)).map((l) => [l.kind, l.action, l.operatorId, l.queueId]),
      [['deal', 'assign', 4, 'deals:Wholesale']],
    );
    for (const c of callsTo(p, 'crm.item.update'))
      assert.equal(Number((c.params as { entityTypeId: unknown }).entityTypeId), 2);
  });

  test('a known client’s deal goes to the contact’s manager; a deal whose responsible a person chose is left alone', async () => {
    const p = await portal({ rules: queueOf([2, 3], { responsible: { enabled: true } }) });
    const contact = p.emu.sim.addContact({ name: 'Old client', assignedById: 5 });
    const known = p.emu.sim.addDeal({ title: 'Repeat order', contactId: contact });
    const chosen = p.emu.sim.addDeal({ title: 'Chosen', createdById: 2, assignedById: 4 });
    await settle(p);
    assert.equal(deal(p, known).assignedById, 5);
    assert.match(comments(p, known)[0].comment, /responsible/);
    assert.equal(deal(p, chosen).assignedById, 4);
    assert.deepEqual(
      (await logOf(p, chosen)).map((l) => [l.action, l.reason.detail]),
      [['skip', 'responsible_chosen']],
    );
  });

  test('the app’s own write is recognised; a person’s reassignment moves the load, and the limit counts deals in progress', async () => {
    const p = await portal({ rules: queueOf([2, 3], { capacity: { limit: 1 } }) });
    const first = p.emu.sim.addDeal({ title: 'A' });
    const second = p.emu.sim.addDeal({ title: 'B' });
    await settle(p);
    // One each (which of the two is decided first is the event queue's business): a is Boris's, b Vera's.
    const [a, b] = deal(p, first).assignedById === 2 ? [first, second] : [second, first];
    assert.deepEqual([deal(p, a).assignedById, deal(p, b).assignedById], [2, 3]);
    assert.equal(callsTo(p, 'crm.item.get').length, 2, 'each echo is taken without a read');
    const c = p.emu.sim.addDeal({ title: 'C' });
    await settle(p);
    assert.equal(deal(p, c).assignedById, 1, 'both at their limit: it waits');
    assert.equal((await p.deals.repository.get(p.memberId, c))?.phase, 'waiting');

    // Boris wins his deal (S); the sync sees it and hands the waiting deal to him.
    p.emu.sim.updateDeal(a, { stageId: 'WON' }, 2);
    await settle(p);
    const r = await syncJob(p);
    assert.equal(r.dealsPlaced, 1);
    await settle(p);
    assert.equal(deal(p, c).assignedById, 2);

    // A person gives B to Gleb: recorded, not redistributed.
    p.emu.sim.updateDeal(b, { assignedById: 4 }, 1);
    await settle(p);
    assert.equal(deal(p, b).assignedById, 4);
    assert.equal((await p.deals.repository.get(p.memberId, b))?.holderId, 4);
  });

  test('a deal moved to another pipeline while it waits is placed by that pipeline’s route', async () => {
    const p = await portal({
      rules: queueOf([2]),
      routes: [{ name: 'Wholesale', categoryIds: [1], rules: queueOf([4]) }],
    });
    p.emu.sim.setUser(2, { online: false });
    const id = p.emu.sim.addDeal({ title: 'Moved' });
    await settle(p);
    assert.equal((await p.deals.repository.get(p.memberId, id))?.phase, 'waiting');
    p.emu.sim.updateDeal(id, { categoryId: 1 }, 1);
    await settle(p);
    assert.ok(
      (await p.app.ctx.inbox.list({ memberId: p.memberId })).some(
        (r) => r.event === 'ONCRMDEALMOVETOCATEGORY',
      ),
      'the move arrived as its own event',
    );
    const r = await syncJob(p);
    assert.equal(r.dealsPlaced, 1);
    await settle(p);
    assert.equal(deal(p, id).assignedById, 4);
    assert.equal((await p.deals.repository.get(p.memberId, id))?.queueId, 'deals:Wholesale');
  });
});

describe('deals: converted from a lead', () => {
  test('a deal converted from a lead the app placed keeps the lead’s person, unless the route says otherwise', async () => {
    const p = await portal(
      {
        rules: queueOf([4, 5]),
        routes: [{ name: 'Wholesale', categoryIds: [1], rules: queueOf([5]), keepLeadOwner: false }],
      },
      { rules: queueOf([3]) },
    );
    const leadId = p.emu.sim.addLead({ title: 'Inbound' });
    await settle(p);
    assert.equal(p.emu.state.crm.leads.get(leadId)!.assignedById, 3);

    // The administrator converts it: the portal copies the lead's responsible; the app keeps Vera.
    const kept = p.emu.sim.convertLead(leadId, 1);
    await settle(p);
    assert.equal(deal(p, kept).assignedById, 3);
    assert.deepEqual(
      (await logOf(p, kept)).map((l) => [
        l.action,
        l.operatorId,
        l.reason.rule,
        l.reason.responsible?.entity,
      ]),
      [['assign', 3, 'responsible_manager', 'lead']],
    );
    assert.equal(
      callsTo(p, 'crm.item.update').filter(
        (c) => Number((c.params as { entityTypeId: unknown }).entityTypeId) === 2,
      ).length,
      0,
      'already hers: nothing to update, only the comment',
    );
    assert.equal(comments(p, kept).length, 1);

    // Converted into the Wholesale pipeline, whose route distributes instead.
    const other = p.emu.sim.addLead({ title: 'Second' });
    await settle(p);
    const routed = p.emu.sim.convertLead(other, 1, { categoryId: 1 });
    await settle(p);
    assert.equal(deal(p, routed).assignedById, 5);
  });

  test('the lead’s person unavailable: the queue takes the deal (availability checked like any responsible)', async () => {
    const p = await portal({ rules: queueOf([4]) }, { rules: queueOf([3]) });
    const leadId = p.emu.sim.addLead({ title: 'Inbound' });
    await settle(p);
    p.emu.sim.setUser(3, { online: false });
    // The directory's minute-long cache would still say online.
    (p.app.ctx.services.operators as OperatorDirectory).invalidate(p.memberId);
    const id = p.emu.sim.convertLead(leadId, 1);
    await settle(p);
    assert.equal(deal(p, id).assignedById, 4);
    const [entry] = await logOf(p, id);
    assert.equal(entry.reason.responsible?.passedOver, 'offline');
  });
});

describe('deals: exactly once', () => {
  test('a write whose answer is lost is read back, never written twice', async () => {
    const p = await portal({ enabled: false, rules: queueOf([2, 3]) });
    const id = p.emu.sim.addDeal({ title: 'Lost answer' });
    await settle(p);
    await p.app.ctx.settings.write(
      p.memberId,
      'deals',
      dealSettingsSchema,
      { enabled: true, rules: queueOf([2, 3]) },
      null,
    );
    const client = await p.app.ctx.clients.get(p.memberId);
    await assert.rejects(
      p.deals.service.onAdd(p.memberId, id, lostOnWrite(client), Date.now()),
      /socket hang up/,
    );
    const row = await p.deals.repository.get(p.memberId, id);
    assert.equal(row?.phase, 'decided', 'recorded before the write');
    assert.equal(deal(p, id).assignedById, 2, 'the portal did apply it');
    await p.app.ctx.queueState.recordAssignment(p.memberId, 'deals:default', 2, Date.now() + 1000);
    await settle(p);
    p.emu.resetCalls();
    assert.equal(await p.deals.service.onAdd(p.memberId, id, client, Date.now()), 'assigned');
    assert.equal(deal(p, id).assignedById, 2);
    assert.equal(comments(p, id).length, 1, 'its comment is found by its decision code');
    assert.equal(callsTo(p, 'crm.item.update').length, 0);
    assert.equal(callsTo(p, 'crm.timeline.comment.add').length, 0);
    assert.deepEqual(
      callsTo(p, 'crm.timeline.comment.list').map((c) => (c.params as { filter: unknown }).filter),
      [{ ENTITY_ID: String(id), ENTITY_TYPE: 'deal' }],
    );
  });
});

/** The write batch (the one that updates the responsible) is carried out, and its answer lost. */
function lostOnWrite(client: PortalClient): PortalClient {
  const around = async <T>(params: unknown, send: () => Promise<T>): Promise<T> => {
    if (!JSON.stringify(params).includes('crm.item.update')) return send();
    await send();
    throw new Error('socket hang up');
  };
  return {
    memberId: client.memberId,
    call: (m, params) => client.call(m, params),
    callOnce: (m, params) =>
      m === 'batch' ? around(params, () => client.callOnce(m, params)) : client.callOnce(m, params),
    page: (m, params) => client.page(m, params),
    listAll: (m, params, max) => client.listAll(m, params, max),
    batch: (calls) => client.batch(calls),
  };
}
