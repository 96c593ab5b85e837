import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { createLeadsFeature, type LeadsServices } from '../../src/crm/feature.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import { leadSettingsSchema } from '../../src/settings/schema.ts';
import { waitFor } from '../helpers/context.ts';
import { closeAll, type OlPortal, olPortal, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

const OPEN = ['NEW', 'IN_PROCESS', 'PROCESSED'];
const LIMIT = 2;

/** Open leads each operator holds at the portal. */
function leadLoads(p: OlPortal): Map<number, number> {
  const out = new Map<number, number>();
  for (const l of p.emu.state.crm.leads.values())
    if (OPEN.includes(l.stageId)) out.set(l.assignedById, (out.get(l.assignedById) ?? 0) + 1);
  return out;
}

/** Open dialogs each operator holds at the portal. */
function dialogLoads(p: OlPortal): Map<number, number> {
  const out = new Map<number, number>();
  for (const session of p.emu.state.sessions.values()) {
    if (session.closedAt !== null) continue;
    const owner = p.emu.state.chats.get(session.chatId)?.ownerId ?? 0;
    if (owner > 0) out.set(owner, (out.get(owner) ?? 0) + 1);
  }
  return out;
}

describe('limits hold under load', () => {
  test('a burst of leads (two queues sharing operators, a client manager) and dialogs: nobody above the limit', async () => {
    const p = await olPortal({
      seed: {
        ...SEED,
        lines: [
          {
            id: 1,
            name: 'Sales chat',
            queue: [2, 3, 4],
            config: { QUEUE_TYPE: 'evenly', MAX_CHAT: String(LIMIT) },
          },
        ],
        // The client's manager is 3: a lead from that phone goes to 3 first, if 3 has room.
        contacts: [{ id: 101, name: 'Igor', assignedById: 3, phone: '+7 900 000-01-01' }],
      },
      features: [createOpenLinesFeature(), createLeadsFeature()],
    });
    await waitFor(
      () => [...p.emu.state.bindings.values()].some((b) => b.event === 'ONCRMLEADADD'),
      'lead events bound',
    );
    const rules = (ids: number[]) => ({
      mode: 'evenly',
      queue: ids.map((id) => ({ id })),
      capacity: { limit: LIMIT },
      responsible: { enabled: true },
      // The manager gets a known client's lead even when away: the limit still binds.
      availability: { check: false },
    });
    await p.app.ctx.settings.write(
      p.memberId,
      'leads',
      leadSettingsSchema,
      { rules: rules([2, 3, 4]), routes: [{ name: 'calls', sources: ['CALL'], rules: rules([3, 4, 5]) }] },
      null,
    );
    // People gave operator 5 three leads: over the limit, not the app's doing.
    for (let i = 0; i < 3; i++)
      p.emu.sim.addLead({ title: `by hand ${i}`, assignedById: 5, createdById: 1, sourceId: 'CALL' });
    await p.settle();

    // The burst, all at once: 40 leads over both queues (a third from the known client) and 12 dialogs.
    for (let i = 0; i < 40; i++)
      p.emu.sim.addLead({
        title: `lead ${i}`,
        sourceId: i % 2 === 0 ? 'CALL' : 'WEB',
        ...(i % 3 === 0 ? { phone: '+7 900 000-01-01' } : {}),
      });
    for (let i = 0; i < 12; i++) p.emu.sim.clientWrites({ lineId: 1, clientKey: `load-${i}`, text: 'Hi' });
    await p.settle();
    await p.runJob('sync');
    await p.runJob('sync');

    const leads = leadLoads(p);
    for (const id of [2, 3, 4])
      assert.ok((leads.get(id) ?? 0) <= LIMIT, `operator ${id}: ${leads.get(id)} leads`);
    assert.equal(leads.get(5), 3, 'the load people gave operator 5 is never added to');
    const placed = [2, 3, 4].reduce((n, id) => n + (leads.get(id) ?? 0), 0);
    assert.equal(placed, 3 * LIMIT, 'every place was used');
    const dialogs = dialogLoads(p);
    for (const id of [2, 3, 4])
      assert.ok((dialogs.get(id) ?? 0) <= LIMIT, `operator ${id}: ${dialogs.get(id)} dialogs`);
  });

  test('a lead the register does not know yet (its event still on its way) still counts: the chosen operator is checked on the portal', async () => {
    const p = await olPortal({ seed: SEED, features: [createOpenLinesFeature(), createLeadsFeature()] });
    await waitFor(
      () => [...p.emu.state.bindings.values()].some((b) => b.event === 'ONCRMLEADADD'),
      'lead events bound',
    );
    const settings = (enabled: boolean) => ({
      enabled,
      rules: { mode: 'strictly', queue: [2, 3].map((id) => ({ id })), capacity: { limit: 1 } },
    });
    // Boris (first in order) holds a lead the app has not heard of: made while its lead
    // distribution was off, as a lead an open line makes follows its dialog's operator before the
    // app reads its event.
    await p.app.ctx.settings.write(p.memberId, 'leads', leadSettingsSchema, settings(false), null);
    p.emu.sim.addLead({ title: 'unseen', assignedById: 2, createdById: 2 });
    await p.settle();
    await p.app.ctx.settings.write(p.memberId, 'leads', leadSettingsSchema, settings(true), null);
    const leads = p.app.ctx.services.leads as LeadsServices;
    assert.deepEqual(
      [...(await leads.repository.loads(p.memberId, [2, 3], OPEN))],
      [],
      'the register has not seen it',
    );

    const id = p.emu.sim.addLead({ title: 'new' });
    await p.settle();
    assert.equal(p.emu.state.crm.leads.get(id)!.assignedById, 3, 'Boris is full on the portal: Vera gets it');
    assert.deepEqual(Object.fromEntries(leadLoads(p)), { 2: 1, 3: 1 }, 'nobody above the limit of 1');
    assert.deepEqual(
      [...(await leads.repository.loads(p.memberId, [2, 3], OPEN))].sort(),
      [
        [2, 1],
        [3, 1],
      ],
      'and the register now knows what the portal showed',
    );
  });
});
