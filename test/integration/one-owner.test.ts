import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { PortalSeed } from 'b24-emulator';
import { createLeadsFeature } from '../../src/crm/feature.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import { DEAL_TABLE, LeadRepository } from '../../src/db/repositories/leads.ts';
import { ownerFeature, type OwnerServices } from '../../src/owner/feature.ts';
import { CrmFollower } from '../../src/owner/follow-crm.ts';
import type { PortalClient } from '../../src/portal/client.ts';
import { ownerSettingsSchema } from '../../src/settings/owner.ts';
import { waitFor } from '../helpers/context.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

/**
 * Line 1 makes a lead for each new client; the portal itself does not move it on a transfer. Its
 * limit makes the sync read its held dialogs every run (sync-reads.ts), so a transfer is seen at once.
 */
const seed = (transferChange: 'Y' | 'N'): PortalSeed => ({
  ...SEED,
  lines: [
    {
      id: 1,
      name: 'Sales chat',
      queue: [2, 3, 4],
      config: {
        QUEUE_TYPE: 'evenly',
        MAX_CHAT: '10',
        CRM: 'Y',
        CRM_CREATE: 'lead',
        CRM_TRANSFER_CHANGE: transferChange,
      },
    },
  ],
});

async function portal(
  policy: 'off' | 'chat' | 'crm',
  o: { transferChange?: 'Y' | 'N'; contact?: boolean } = {},
) {
  const p = await olPortal({
    seed: seed(o.transferChange ?? 'N'),
    features: [createOpenLinesFeature(), createLeadsFeature(), ownerFeature],
  });
  await p.app.ctx.settings.write(
    p.memberId,
    'owner',
    ownerSettingsSchema,
    { policy, contact: o.contact ?? false },
    null,
  );
  return p;
}

/** Until the portal and the app are both quiet, events deferred for a retry (a lead waiting for its dialog) included. */
async function calm(p: OlPortal): Promise<void> {
  const owner = p.app.ctx.services.owner as { idle(): Promise<void> } | undefined;
  await waitFor(async () => {
    await p.settle();
    // The CRM side follows a chat's move after it (owner/feature.ts): wait for it too.
    await owner?.idle();
    const busy = (await p.app.ctx.inbox.list({ memberId: p.memberId })).some(
      (r) => r.state === 'pending' || r.state === 'processing',
    );
    if (busy) p.app.ctx.worker.wake();
    return !busy;
  }, 'the app to handle every event');
  await p.settle();
}

const leadOf = (p: OlPortal, chatId: number) => p.emu.state.chats.get(chatId)!.crm!.LEAD;
const responsible = (p: OlPortal, entity: 'leads' | 'deals' | 'contacts', id: number) =>
  p.emu.state.crm[entity].get(id)!.assignedById;
const follows = async (p: OlPortal, chatId: number) =>
  (await (p.app.ctx.services.owner as OwnerServices).repository.follows(p.memberId, chatId)).map((f) => [
    f.entity,
    f.targetId,
    f.cause,
    f.state,
  ]);
const crmLog = async (p: OlPortal, kind: 'lead' | 'deal' | 'contact', id: number) =>
  (await p.app.ctx.assignmentLog.recent(p.memberId, { kind, objectId: String(id) })).reverse();

describe('one owner for chat, lead, deal and contact', () => {
  afterEach(closeAll);

  test('a person’s transfer found by the sync: the lead and the deal follow the new operator; the log says so', async () => {
    const p = await portal('chat');
    const chatId = await p.newDialog();
    await calm(p);
    const first = ownerOf(p, chatId);
    const leadId = leadOf(p, chatId);
    assert.equal(responsible(p, 'leads', leadId), first, 'the app’s own assignment took the lead along');
    // The operator converts the lead; the chat is bound to the deal now.
    const dealId = p.emu.sim.convertLead(leadId, first);
    await calm(p);
    const to = first === 4 ? 2 : 4;

    p.emu.sim.operatorTransfers({ chatId, toUserId: to, byUserId: first });
    await calm(p);
    assert.equal(
      responsible(p, 'leads', leadId),
      first,
      'nothing tells the app yet (no event for a transfer)',
    );
    await p.runJob('sync');
    await calm(p);
    assert.equal(ownerOf(p, chatId), to);
    assert.equal(responsible(p, 'leads', leadId), to);
    assert.equal(responsible(p, 'deals', dealId), to);
    assert.deepEqual(
      (await p.log(chatId)).map((l) => [l.action, l.operatorId]),
      [
        ['assign', first],
        ['transfer', to],
      ],
    );
    const [follow] = (await crmLog(p, 'deal', dealId)).filter((l) => l.action === 'follow');
    assert.equal(follow.operatorId, to);
    assert.match(follow.reason.text_en, /a person transferred the chat/);
    // The app's own writes come back as update events: recognised, no chat move, no loop.
    await calm(p);
    assert.equal(p.transfers().filter((t) => t.chatId === chatId).length, 1, 'only the bot’s first transfer');
  });

  test('a person changes the lead’s responsible: the open chat follows (and the deal with it); the echo is not a change', async () => {
    const p = await portal('chat');
    const chatId = await p.newDialog();
    await calm(p);
    const first = ownerOf(p, chatId);
    const leadId = leadOf(p, chatId);
    const to = first === 3 ? 2 : 3;
    p.emu.sim.updateLead(leadId, { assignedById: to }, 1);
    await calm(p);
    assert.equal(ownerOf(p, chatId), to, 'the chat follows');
    assert.deepEqual(
      (await p.log(chatId)).map((l) => [l.action, l.operatorId, l.reason.kind ?? l.reason.rule]),
      [
        ['assign', first, 'evenly'],
        ['follow', to, 'chat_follows'],
      ],
    );
    await calm(p);
    assert.equal(ownerOf(p, chatId), to);
    assert.equal(responsible(p, 'leads', leadId), to, 'nobody moved the lead back');
  });

  test('a robot’s change of the lead moves the chat only where the CRM record leads', async () => {
    const chatLeads = await portal('chat');
    const a = await chatLeads.newDialog();
    await calm(chatLeads);
    const firstA = ownerOf(chatLeads, a);
    chatLeads.emu.sim.updateLead(leadOf(chatLeads, a), { assignedById: firstA === 3 ? 2 : 3 }, null);
    await calm(chatLeads);
    assert.equal(ownerOf(chatLeads, a), firstA, 'chat leads: an automation’s change does not move the chat');

    const crmLeads = await portal('crm');
    const b = await crmLeads.newDialog();
    await calm(crmLeads);
    const firstB = ownerOf(crmLeads, b);
    const toB = firstB === 3 ? 2 : 3;
    crmLeads.emu.sim.updateLead(leadOf(crmLeads, b), { assignedById: toB }, null);
    await calm(crmLeads);
    assert.equal(ownerOf(crmLeads, b), toB, 'CRM leads: the chat follows the record');
  });

  test('CRM leads: the app’s pass-on moves the chat, not the CRM owner; off: nothing follows anything', async () => {
    const p = await portal('crm');
    const chatId = await p.newDialog();
    await calm(p);
    const first = ownerOf(p, chatId);
    const leadId = leadOf(p, chatId);
    const before = responsible(p, 'leads', leadId);
    assert.notEqual(before, first, 'the CRM record leads: the app’s assignment left it alone');
    const r = await p.runJob('pass-on', Date.now() + 10 * 60_000);
    assert.ok(r, 'the job ran');
    await calm(p);
    assert.notEqual(ownerOf(p, chatId), first, 'passed on');
    assert.equal(responsible(p, 'leads', leadId), before, 'the CRM owner stays');

    const off = await portal('off');
    const c2 = await off.newDialog();
    await calm(off);
    const holder = ownerOf(off, c2);
    off.emu.sim.updateLead(leadOf(off, c2), { assignedById: holder === 3 ? 2 : 3 }, 1);
    await calm(off);
    assert.equal(ownerOf(off, c2), holder);
    assert.deepEqual(await follows(off, c2), []);
  });

  test('the last person’s change wins: a transfer dated before a later change of the lead is not followed, and the log says so', async () => {
    const p = await portal('chat');
    const chatId = await p.newDialog();
    await calm(p);
    const first = ownerOf(p, chatId);
    const leadId = leadOf(p, chatId);
    const [x, y] = [2, 3, 4].filter((id) => id !== first);
    // Someone gives the lead to Y: the chat follows Y.
    p.emu.sim.updateLead(leadId, { assignedById: y }, 1);
    await calm(p);
    assert.equal(ownerOf(p, chatId), y);
    // A person's transfer to X that the sync dates a minute before that change (--now): theirs is older.
    p.emu.sim.operatorTransfers({ chatId, toUserId: x, byUserId: y });
    await p.runJob('sync', Date.now() - 60_000);
    await calm(p);
    assert.equal(ownerOf(p, chatId), x, 'the app does not move the chat back either: no fight');
    assert.equal(responsible(p, 'leads', leadId), y, 'the later change of the lead stands');
    const [skip] = (await p.log(chatId)).filter((l) => l.action === 'skip');
    assert.equal(skip.reason.kind, 'later_person_change');
    assert.match(skip.reason.text_en, /the last person's change wins/);
  });

  test('with contacts on, the contact follows too; a follow whose answer was lost is read back and not written twice', async () => {
    const p = await portal('chat', { contact: true });
    const contactId = p.emu.sim.addContact({ name: 'Known', assignedById: 1, phone: '+7 900 000-00-01' });
    const chatId = await p.newDialog(1, undefined, { phone: '+7 900 000-00-01' });
    await calm(p);
    const first = ownerOf(p, chatId);
    assert.equal(p.emu.state.chats.get(chatId)!.crm!.CONTACT, contactId);
    assert.equal(responsible(p, 'contacts', contactId), first, 'the contact followed the app’s assignment');

    // A follow whose write the portal carries out but whose answer is lost.
    const owner = p.app.ctx.services.owner as OwnerServices;
    const real = await p.app.ctx.clients.get(p.memberId);
    const lossy = new CrmFollower({
      repo: owner.repository,
      settings: p.app.ctx.settings,
      clients: { get: async () => lostOnWrite(real), forget() {} },
      registers: {
        lead: new LeadRepository(p.app.ctx.db),
        deal: new LeadRepository(p.app.ctx.db, DEAL_TABLE),
      },
      assignmentLog: p.app.ctx.assignmentLog,
      clock: Date.now,
      log: p.app.ctx.log,
    });
    const to = first === 4 ? 2 : 4;
    const row = (await p.row(chatId))!;
    await assert.rejects(
      lossy.chatChanged({
        memberId: p.memberId,
        chatId,
        lineId: 1,
        crm: row.crm,
        from: first,
        to,
        cause: 'transfer',
        byPerson: true,
        at: Date.now(),
      }),
      /socket hang up/,
    );
    assert.equal(responsible(p, 'contacts', contactId), to, 'the portal did it');
    assert.ok((await follows(p, chatId)).some(([e, t, , s]) => e === 'contact' && t === to && s === 'sent'));
    p.emu.resetCalls();
    assert.equal(
      (await owner.recover(p.memberId, real, Date.now())).finished,
      0,
      'not while it may be on the wire',
    );
    const r = await owner.recover(p.memberId, real, Date.now() + 60_000);
    assert.ok(r.finished >= 1);
    assert.ok((await follows(p, chatId)).every(([, , , s]) => s === 'done'));
    assert.equal(
      p.emu.calls.filter((c) => c.method === 'crm.item.update').length,
      0,
      'read back, not written again',
    );
  });
});

/** The write batch (crm.item.update) is carried out, and its answer lost. */
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
