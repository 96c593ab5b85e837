import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Feature } from '../../src/context.ts';
import { createLeadsFeature, type LeadsServices } from '../../src/crm/feature.ts';
import { type Emulator, type PortalSeed, startEmulator } from 'b24-emulator';
import { offlineEventsFeature } from '../../src/events/offline-events.ts';
import type { PortalClient } from '../../src/portal/client.ts';
import type { QueueRulesInput } from '../../src/engine/index.ts';
import { leadSettingsSchema } from '../../src/settings/schema.ts';
import {
  formEncode,
  startTestApp,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  type TestApp,
  waitFor,
} from '../helpers/context.ts';

/** Admin 1 (creates web-form leads by default), operators 2–5, all at work. */
const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true },
    { id: 2, name: 'Boris', lastName: 'Ivanov' },
    { id: 3, name: 'Vera', lastName: 'Petrova' },
    { id: 4, name: 'Gleb', lastName: 'Sokolov' },
    { id: 5, name: 'Daria', lastName: 'Kuznetsova' },
  ],
};

interface Portal {
  emu: Emulator;
  app: TestApp;
  memberId: string;
  leads: LeadsServices;
  close(): Promise<void>;
}

const open: Portal[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

/** The real app installed on an emulated portal, with the lead settings given. */
async function portal(
  settings: Record<string, unknown>,
  o: { language?: 'ru' | 'en'; offline?: boolean; features?: Feature[] } = {},
): Promise<Portal> {
  const emu = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: false,
    timerIntervalMs: 0,
    language: o.language ?? 'en',
    seed: SEED,
  });
  const app = await startTestApp({
    env: { B24_OAUTH_SERVER: emu.url },
    features: [...(o.offline ? [offlineEventsFeature] : []), ...(o.features ?? []), createLeadsFeature()],
  });
  const p: Portal = {
    emu,
    app,
    memberId: emu.memberId,
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
    () => [...emu.state.bindings.values()].some((b) => b.event === 'ONCRMLEADUPDATE'),
    'events bound',
  );
  await app.ctx.settings.write(emu.memberId, 'leads', leadSettingsSchema, settings, null);
  await settle(p);
  emu.resetCalls();
  return p;
}

/** Until the portal has delivered everything and the app has handled everything, twice in a row. */
async function settle(p: Portal, o: { deadAllowed?: boolean } = {}): Promise<void> {
  let quiet = 0;
  await waitFor(async () => {
    await p.emu.idle();
    const busy = (await p.app.ctx.inbox.list({ memberId: p.memberId })).some(
      (r) => r.state === 'pending' || r.state === 'processing',
    );
    const dead = o.deadAllowed ? [] : await p.app.ctx.inbox.listDead(p.memberId);
    assert.deepEqual(
      dead.map((r) => r.lastError),
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

const lead = (p: Portal, id: number) => p.emu.state.crm.leads.get(id)!;
const comments = (p: Portal, id: number) =>
  [...p.emu.state.crm.comments.values()].filter((c) => c.entityType === 'lead' && c.entityId === id);
const logOf = async (p: Portal, id: number) =>
  (await p.app.ctx.assignmentLog.recent(p.memberId, { kind: 'lead', objectId: String(id) })).reverse();
const callsTo = (p: Portal, method: string) => p.emu.calls.filter((c) => c.method === method);

describe('leads: distribution', () => {
  test('new leads go round an evenly queue; responsible and a comment are written in one batch', async () => {
    const p = await portal({ rules: queueOf([2, 3, 4]) });
    const got: number[] = [];
    const perLead: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = p.emu.httpRequests;
      const id = p.emu.sim.addLead({ title: `Web lead ${i}` });
      await settle(p);
      got.push(lead(p, id).assignedById);
      perLead.push(p.emu.httpRequests - before);
      const [c] = comments(p, id);
      assert.ok(c, 'a timeline comment says why');
      assert.match(c.comment, /^Dispatcher \(default lead queue\): Assigned to \S+ \S+ by the rule "evenly"/);
      const log = await logOf(p, id);
      assert.deepEqual(
        log.map((l) => [l.action, l.operatorId, l.queueId]),
        [['assign', got[i], 'leads:default']],
      );
      assert.equal(log[0].previousOperatorId, 1);
    }
    assert.deepEqual(got, [2, 3, 4, 2]);
    // Per lead: the read batch, the write batch; the first lead also reads the operators.
    assert.deepEqual(perLead, [3, 2, 2, 2]);
    for (const m of ['crm.item.get', 'crm.item.update', 'crm.timeline.comment.add'])
      assert.ok(
        callsTo(p, m).every((c) => c.viaBatch),
        `${m} only inside batches`,
      );
    assert.equal(callsTo(p, 'crm.item.update').length, 4);
  });

  test('leads arriving together are decided one at a time per queue: nobody gets two while another has none', async () => {
    const p = await portal({ rules: queueOf([2, 3, 4, 5]) });
    const ids = [1, 2, 3, 4].map((i) => p.emu.sim.addLead({ title: `Burst ${i}` }));
    await settle(p);
    assert.deepEqual(ids.map((id) => lead(p, id).assignedById).sort(), [2, 3, 4, 5]);
  });

  test('a known client’s lead goes to the contact’s manager, found by phone', async () => {
    const p = await portal({ rules: queueOf([2, 3], { responsible: { enabled: true } }) });
    p.emu.sim.addContact({ name: 'Old client', phone: '+7 (916) 555-01-01', assignedById: 5 });
    p.emu.sim.addCompany({ title: 'Client Ltd', email: 'buyer@client.example', assignedById: 4 });
    await settle(p);
    const before = p.emu.httpRequests;
    const id = p.emu.sim.addLead({
      title: 'Repeat order',
      phone: '89165550101',
      email: 'buyer@client.example',
    });
    await settle(p);
    assert.equal(lead(p, id).assignedById, 5, 'contact beats company');
    assert.match(comments(p, id)[0].comment, /the client's responsible person \(by the contact\)/);
    const [entry] = await logOf(p, id);
    assert.equal(entry.reason.rule, 'responsible_manager');
    assert.equal(
      p.emu.httpRequests - before,
      4,
      'read (lead + client search) · client’s records · operators · write',
    );
    assert.equal(callsTo(p, 'crm.duplicate.findbycomm').length, 2);
    assert.deepEqual(
      callsTo(p, 'crm.item.get').map((c) => Number(c.params.entityTypeId)),
      [1, 3, 4],
      'the lead, then the contact and the company it matched, by id',
    );

    const byMail = p.emu.sim.addLead({ title: 'By e-mail only', email: 'BUYER@client.example' });
    await settle(p);
    assert.equal(lead(p, byMail).assignedById, 4, 'no contact: the company’s manager');
  });

  test('an unavailable manager: the queue takes the lead when the check is on, the manager gets it when off', async () => {
    const p = await portal({
      rules: queueOf([2, 3], { responsible: { enabled: true } }),
      routes: [
        {
          name: 'no check',
          sources: ['CALL'],
          rules: queueOf([2, 3], { responsible: { enabled: true }, availability: { check: false } }),
        },
      ],
    });
    p.emu.sim.addContact({ name: 'Client', phone: '+49 30 1234567', assignedById: 5 });
    p.emu.sim.setUser(5, { online: false, timeman: 'CLOSED' });
    const id = p.emu.sim.addLead({ title: 'Web', phone: '+49 30 1234567' });
    await settle(p);
    assert.equal(lead(p, id).assignedById, 2, 'falls back to the queue');
    const [entry] = await logOf(p, id);
    assert.equal(entry.reason.rule, 'evenly');
    assert.deepEqual(entry.reason.responsible, { operatorId: 5, entity: 'contact', passedOver: 'offline' });
    assert.match(
      comments(p, id)[0].comment,
      /The client's responsible Daria Kuznetsova was passed over: offline\./,
    );

    const call = p.emu.sim.addLead({ title: 'Call', phone: '+49 30 1234567', sourceId: 'CALL' });
    await settle(p);
    assert.equal(lead(p, call).assignedById, 5, 'the responsible anyway');
    const [e2] = await logOf(p, call);
    assert.equal(e2.queueId, 'leads:no check');
    assert.equal(e2.reason.responsible.assignedDespite, 'offline');
  });

  test('routes pick the queue by source or by open line; a lead from a dialog the app assigned stays with its operator', async () => {
    // The open-lines part's answer: the app gave the dialog of client 17 on line 22 to Egor (6).
    const dialogs: Feature = {
      name: 'dialogs-stub',
      register(ctx) {
        ctx.services.dialogs = {
          assignedOperator: async (_m: string, userCode: string) =>
            userCode === 'livechat|22|17|5' ? 6 : null,
        };
      },
    };
    const p = await portal(
      {
        rules: queueOf([2]),
        routes: [
          { name: 'calls', sources: ['CALL'], rules: queueOf([3]) },
          { name: 'chat', lineIds: [22], rules: queueOf([4]) },
        ],
      },
      { features: [dialogs] },
    );
    const token = p.emu.issueUserToken(1);
    const add = async (fields: Record<string, unknown>) => {
      const res = await fetch(`${p.emu.url}/rest/crm.item.add`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entityTypeId: 1, fields, auth: token }),
      });
      return Number((await res.json()).result.item.id);
    };
    const imol = (code: string) => ({ fm: [{ typeId: 'IM', valueType: 'OPENLINE', value: `imol|${code}` }] });
    const call = await add({ title: 'Call', sourceId: 'CALL' });
    const chat = await add({ title: 'Chat', sourceId: 'OPENLINE', ...imol('livechat|22|18|6') });
    const assigned = await add({
      title: 'Chat, assigned',
      sourceId: 'OPENLINE',
      ...imol('livechat|22|17|5'),
    });
    const web = await add({ title: 'Web', sourceId: 'WEB' });
    await settle(p);
    assert.deepEqual(
      [call, chat, assigned, web].map((id) => lead(p, id).assignedById),
      [3, 4, 1, 2],
    );
    assert.equal((await logOf(p, chat))[0].queueId, 'leads:chat');
    const [skip] = await logOf(p, assigned);
    assert.equal(skip.action, 'skip');
    assert.deepEqual(skip.reason, {
      rule: 'skip',
      detail: 'from_assigned_dialog',
      operatorId: 1,
      dialogOperatorId: 6,
    });
    assert.equal(comments(p, assigned).length, 0);
  });

  test('the portal’s language: a Russian portal gets the comment in Russian', async () => {
    const p = await portal({ rules: queueOf([3]) }, { language: 'ru' });
    const id = p.emu.sim.addLead({ title: 'Заявка' });
    await settle(p);
    assert.match(
      comments(p, id)[0].comment,
      /^Диспетчер \(основная очередь лидов\): Назначено: Vera Petrova/,
    );
  });
});

describe('leads: loops and duplicates', () => {
  test('the app’s own update is recognised (no read, no second assignment); a person’s reassignment moves the load', async () => {
    const p = await portal({ rules: queueOf([2, 3], { capacity: { limit: 1 } }) });
    const id = p.emu.sim.addLead({ title: 'One' });
    await settle(p);
    assert.equal(lead(p, id).assignedById, 2);
    const updates = await p.app.ctx.inbox.list({ memberId: p.memberId, event: 'ONCRMLEADUPDATE' });
    assert.equal(updates.length, 1, 'the app’s write fired ONCRMLEADUPDATE');
    assert.equal(updates[0].state, 'done');
    assert.equal(callsTo(p, 'crm.item.get').length, 1, 'only the first read: the echo cost no request');
    assert.equal(callsTo(p, 'crm.item.update').length, 1);
    assert.equal((await logOf(p, id)).length, 1);

    // A person gives the lead to Vera: her load, not Boris's, and nobody redistributes it.
    p.emu.sim.updateLead(id, { assignedById: 3 }, 2);
    await settle(p);
    assert.equal(lead(p, id).assignedById, 3);
    assert.equal(callsTo(p, 'crm.item.update').length, 1, 'no second write');
    assert.equal((await p.leads.repository.get(p.memberId, id))?.holderId, 3);
    // Vera is at her limit (1) now, Boris is free: the next lead goes to Boris.
    const next = p.emu.sim.addLead({ title: 'Two' });
    await settle(p);
    assert.equal(lead(p, next).assignedById, 2);
    assert.deepEqual((await logOf(p, next))[0].reason.skipped, { at_capacity: [3], unavailable: [] });
  });

  test('a duplicate delivery, and the same lead again from the offline queue, assign once', async () => {
    const p = await portal({ rules: queueOf([2, 3]) }, { offline: true });
    const id = p.emu.sim.addLead({ title: 'Twice' });
    await settle(p);
    // The portal's queue sends the very same body again.
    const sent = p.emu.deliveries.find((d) => d.event === 'ONCRMLEADADD')!;
    const again = await fetch(`${p.app.url}/events`, {
      method: 'POST',
      headers: { 'content-type': sent.contentType },
      body: sent.body,
    });
    assert.deepEqual(await again.json(), { status: 'duplicate' });
    // And a delivery with another ts (not byte-identical) is the same lead all the same.
    const other = await fetch(`${p.app.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formEncode({
        event: 'ONCRMLEADADD',
        data: { FIELDS: { ID: String(id) } },
        ts: '1',
        auth: { member_id: p.memberId, application_token: p.emu.state.app.applicationToken },
      }),
    });
    assert.deepEqual(await other.json(), { status: 'duplicate' });
    // The offline backstop finds the same lead in the portal's queue.
    const job = p.app.ctx.jobs.get('offline-events')!;
    const client = await p.app.ctx.clients.get(p.memberId);
    const r = await job.runForPortal({
      memberId: p.memberId,
      client,
      now: Date.now(),
      dryRun: false,
      log: p.app.ctx.log,
    });
    assert.equal(r.duplicates, 1);
    await settle(p);
    assert.equal(callsTo(p, 'crm.item.update').length, 1);
    assert.equal(comments(p, id).length, 1);
    assert.equal((await logOf(p, id)).length, 1);
  });

  test('a lead whose responsible a person chose is left alone (and counted as theirs)', async () => {
    const p = await portal({ rules: queueOf([2, 3]) });
    const id = p.emu.sim.addLead({ title: 'Mine', assignedById: 4 });
    await settle(p);
    assert.equal(lead(p, id).assignedById, 4);
    assert.equal(callsTo(p, 'crm.item.update').length, 0);
    assert.equal(comments(p, id).length, 0);
    const [entry] = await logOf(p, id);
    assert.equal(entry.action, 'skip');
    assert.equal(entry.reason.detail, 'responsible_chosen');
    assert.deepEqual([...(await p.leads.repository.loads(p.memberId, [4], ['NEW']))], [[4, 1]]);
  });
});

/** Wraps a client so that its `n`-th batch request (either way of sending one) goes wrong as `fail` says. */
function faulty(client: PortalClient, n: number, fail: 'answer_lost' | 'never_sent'): PortalClient {
  let seen = 0;
  const around = async <T>(send: () => Promise<T>): Promise<T> => {
    if (++seen !== n) return send();
    if (fail === 'never_sent') throw new Error('ECONNRESET');
    await send();
    throw new Error('socket hang up');
  };
  return {
    memberId: client.memberId,
    call: (m, params) => (m === 'batch' ? around(() => client.call(m, params)) : client.call(m, params)),
    callOnce: (m, params) =>
      m === 'batch' ? around(() => client.callOnce(m, params)) : client.callOnce(m, params),
    page: (m, params) => client.page(m, params),
    listAll: (m, params, max) => client.listAll(m, params, max),
    batch: (calls) => around(() => client.batch(calls)),
  };
}

describe('leads: crash safety', () => {
  test('the decision is recorded before the write; a re-run finishes that write, and never writes it twice', async () => {
    const p = await portal({ enabled: false, rules: queueOf([2, 3]) });
    const id = p.emu.sim.addLead({ title: 'Lost answer' });
    await settle(p);
    await p.app.ctx.settings.write(p.memberId, 'leads', leadSettingsSchema, { rules: queueOf([2, 3]) }, null);
    const client = await p.app.ctx.clients.get(p.memberId);
    const { service, repository } = p.leads;

    // 1st run: read, decide, write — the portal applies the write, the app never hears back.
    await assert.rejects(
      service.onAdd(p.memberId, id, faulty(client, 3, 'answer_lost'), Date.now()),
      /socket hang up/,
    );
    const row = await repository.get(p.memberId, id);
    assert.equal(row?.phase, 'decided');
    assert.equal(row?.operatorId, 2);
    assert.equal(lead(p, id).assignedById, 2, 'the portal did apply it');
    assert.equal(comments(p, id).length, 1);

    // Someone else became due meanwhile: a fresh decision would pick Vera. The re-run must not decide again.
    await p.app.ctx.queueState.recordAssignment(p.memberId, 'leads:default', 2, Date.now() + 1000);
    // The portal's echo of the first run's write (ONCRMLEADUPDATE) is handled before counting.
    await settle(p);
    p.emu.resetCalls();
    assert.equal(await service.onAdd(p.memberId, id, client, Date.now()), 'assigned');
    assert.equal(lead(p, id).assignedById, 2);
    assert.equal(comments(p, id).length, 1, 'the comment it already wrote is recognised');
    assert.equal(callsTo(p, 'crm.item.update').length, 0);
    assert.equal(callsTo(p, 'crm.timeline.comment.add').length, 0);
    assert.equal(p.emu.httpRequests, 1, 'one recovery read');
    assert.deepEqual(
      (await logOf(p, id)).map((l) => [l.action, l.operatorId]),
      [['assign', 2]],
    );
    assert.equal(await service.onAdd(p.memberId, id, client, Date.now()), 'already');
  });

  test('a failed comment is retried alone; a failed update takes its comment with it', async () => {
    const p = await portal({ rules: queueOf([2]) });
    p.emu.injectFault({
      method: 'crm.timeline.comment.add',
      times: 1,
      status: 500,
      error: 'INTERNAL_SERVER_ERROR',
    });
    const a = p.emu.sim.addLead({ title: 'Comment fails once' });
    await settle(p);
    assert.equal(lead(p, a).assignedById, 2);
    assert.equal(comments(p, a).length, 1);
    assert.equal(callsTo(p, 'crm.item.update').length, 1, 'the update is not repeated');

    p.emu.resetCalls();
    p.emu.injectFault({ method: 'crm.item.update', times: 1, status: 500, error: 'INTERNAL_SERVER_ERROR' });
    const b = p.emu.sim.addLead({ title: 'Update fails once' });
    await settle(p);
    assert.equal(lead(p, b).assignedById, 2);
    assert.equal(comments(p, b).length, 1, 'no comment about an assignment that had not happened');
    assert.deepEqual(
      callsTo(p, 'crm.timeline.comment.add').map((c) => c.status),
      [200],
      'the failed update halted the batch before its comment',
    );
  });

  test('a person who moves the lead before the app’s write lands wins', async () => {
    const p = await portal({ enabled: false, rules: queueOf([2, 3]) });
    const id = p.emu.sim.addLead({ title: 'Race' });
    await settle(p);
    await p.app.ctx.settings.write(p.memberId, 'leads', leadSettingsSchema, { rules: queueOf([2, 3]) }, null);
    const client = await p.app.ctx.clients.get(p.memberId);
    // The write batch never reaches the portal; then a person assigns Gleb.
    await assert.rejects(
      p.leads.service.onAdd(p.memberId, id, faulty(client, 3, 'never_sent'), Date.now()),
      /ECONNRESET/,
    );
    assert.equal((await p.leads.repository.get(p.memberId, id))?.phase, 'decided');
    assert.equal(lead(p, id).assignedById, 1);
    p.emu.sim.updateLead(id, { assignedById: 4 }, 4);
    assert.equal(await p.leads.service.onAdd(p.memberId, id, client, Date.now()), 'superseded');
    assert.equal(lead(p, id).assignedById, 4);
    assert.equal(comments(p, id).length, 0);
    assert.equal((await p.leads.repository.get(p.memberId, id))?.holderId, 4);
  });
});

describe('leads: refused writes', () => {
  test('a write the portal refuses leaves the lead where it was, says so in the log, and dead-letters the event', async () => {
    const p = await portal({ rules: queueOf([2]) });
    p.emu.injectFault({
      method: 'crm.item.update',
      times: 1,
      status: 400,
      error: 'CRM_FIELD_ERROR_VALUE_NOT_VALID',
    });
    const id = p.emu.sim.addLead({ title: 'Refused' });
    await settle(p, { deadAllowed: true });
    const [dead] = await p.app.ctx.inbox.listDead(p.memberId);
    assert.match(dead.lastError ?? '', /CRM_FIELD_ERROR_VALUE_NOT_VALID/);
    assert.equal(lead(p, id).assignedById, 1);
    assert.equal(comments(p, id).length, 0);
    const row = await p.leads.repository.get(p.memberId, id);
    assert.deepEqual([row?.phase, row?.holderId], ['skipped', 1]);
    assert.deepEqual(
      (await logOf(p, id)).map((l) => [l.action, l.operatorId, l.reason.detail]),
      [['skip', 1, 'write_refused']],
    );
  });
});

describe('leads: sync', () => {
  const job = (p: Portal, client: PortalClient, dryRun = false) =>
    p.leads.sync({ memberId: p.memberId, client, now: Date.now(), dryRun, log: p.app.ctx.log });

  test('closed and converted leads stop counting; leads held by queue operators start counting', async () => {
    const p = await portal({ rules: queueOf([2, 3], { capacity: { limit: 1 } }) });
    const first = p.emu.sim.addLead({ title: 'A' });
    const second = p.emu.sim.addLead({ title: 'B' });
    await settle(p);
    // One each (which of the two is decided first is the event queue's business): A is Boris's, B Vera's.
    const [a, b] = lead(p, first).assignedById === 2 ? [first, second] : [second, first];
    assert.deepEqual([lead(p, a).assignedById, lead(p, b).assignedById], [2, 3]);
    // Changes the app never heard of: A is converted, B moved on, and Vera got a lead while the app was off.
    lead(p, a).stageId = 'CONVERTED';
    lead(p, b).stageId = 'IN_PROCESS';
    const settings = { rules: queueOf([2, 3], { capacity: { limit: 1 } }) };
    await p.app.ctx.settings.write(
      p.memberId,
      'leads',
      leadSettingsSchema,
      { ...settings, enabled: false },
      null,
    );
    const c = p.emu.sim.addLead({ title: 'C', assignedById: 3, createdById: 2 });
    await settle(p);
    await p.app.ctx.settings.write(p.memberId, 'leads', leadSettingsSchema, settings, null);
    assert.equal(await p.leads.repository.get(p.memberId, c), undefined);
    const client = await p.app.ctx.clients.get(p.memberId);
    p.emu.resetCalls();
    const dry = await job(p, client, true);
    assert.equal(dry.leadsToRelease, 1);
    assert.equal((await p.leads.repository.get(p.memberId, a))?.holderId, 2, 'a dry run changes nothing');

    p.emu.resetCalls();
    const r = await job(p, client);
    assert.equal(r.leadsReleased, 1);
    assert.equal(r.leadsCorrected, 1);
    assert.equal(r.leadsAdded, 1);
    assert.deepEqual(
      callsTo(p, 'crm.item.list').map((x) => x.params.filter),
      // (inside the sync's one batch request, so the values arrive as the batch's query strings)
      [{ '@assignedById': ['2', '3'], '@stageId': ['NEW', 'IN_PROCESS', 'PROCESSED'] }],
    );
    const loads = await p.leads.repository.loads(p.memberId, [2, 3], ['NEW', 'IN_PROCESS', 'PROCESSED']);
    assert.deepEqual([...loads], [[3, 2]]);
    assert.equal((await p.leads.repository.get(p.memberId, c))?.phase, 'seen');
    // Boris is free again, Vera is at her limit.
    const d = p.emu.sim.addLead({ title: 'D' });
    await settle(p);
    assert.equal(lead(p, d).assignedById, 2);
  });

  test('a decision whose event gave up is finished by the sync', async () => {
    const p = await portal({ enabled: false, rules: queueOf([3]) });
    const id = p.emu.sim.addLead({ title: 'Outage' });
    await settle(p);
    await p.app.ctx.settings.write(p.memberId, 'leads', leadSettingsSchema, { rules: queueOf([3]) }, null);
    const client = await p.app.ctx.clients.get(p.memberId);
    await assert.rejects(p.leads.service.onAdd(p.memberId, id, faulty(client, 3, 'never_sent'), Date.now()));
    assert.equal((await job(p, client)).leadsFinished, 0, 'not before its retries could have run');
    const later = await p.leads.sync({
      memberId: p.memberId,
      client,
      now: Date.now() + 16 * 60_000,
      dryRun: false,
      log: p.app.ctx.log,
    });
    assert.equal(later.leadsFinished, 1);
    assert.equal(lead(p, id).assignedById, 3);
    assert.equal(comments(p, id).length, 1);
    assert.deepEqual(
      (await logOf(p, id)).map((l) => [l.action, l.operatorId]),
      [['assign', 3]],
    );
  });

  test('a lead nobody could take waits, and the sync hands it out once someone is back', async () => {
    const p = await portal({ rules: queueOf([2, 3]) });
    p.emu.sim.setUser(2, { online: false });
    p.emu.sim.setUser(3, { timeman: 'PAUSED' });
    const id = p.emu.sim.addLead({ title: 'Night lead' });
    await settle(p);
    assert.equal(lead(p, id).assignedById, 1, 'stays with its creator');
    assert.deepEqual(
      (await logOf(p, id)).map((l) => [l.action, l.reason.rule]),
      [['wait', 'wait']],
    );
    const client = await p.app.ctx.clients.get(p.memberId);
    p.emu.resetCalls();
    const still = await job(p, client);
    assert.equal(still.leadsWaiting, 1);
    assert.equal(still.leadsPlaced, 0);
    assert.equal(callsTo(p, 'crm.item.get').length, 0, 'no read for a lead nobody can take');

    p.emu.sim.setUser(3, { timeman: 'OPENED' });
    const r = await job(p, client);
    assert.equal(r.leadsPlaced, 1);
    await settle(p);
    assert.equal(lead(p, id).assignedById, 3);
    assert.deepEqual(
      (await logOf(p, id)).map((l) => [l.action, l.operatorId]),
      [
        ['wait', 1],
        ['assign', 3],
      ],
    );
  });
});
