import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { absenceFeature, type AbsenceServices } from '../../src/absence/feature.ts';
import { createLeadsFeature } from '../../src/crm/feature.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import { handoverSettingsSchema } from '../../src/settings/absences.ts';
import { dealSettingsSchema } from '../../src/settings/deals.ts';
import {
  leadSettingsSchema,
  lineSettingsSchema,
  operatorsSettingsSchema,
} from '../../src/settings/schema.ts';
import { waitFor } from '../helpers/context.ts';
import { closeAll, type OlPortal, olPortal, ownerOf } from './openlines-helpers.ts';

/** Line 1 (least loaded, queue Boris 2, Vera 3, Gleb 4); leads and deals to Boris and Vera. */
async function portal(): Promise<OlPortal> {
  const p = await olPortal({ features: [createOpenLinesFeature(), createLeadsFeature(), absenceFeature] });
  const w = p.app.ctx.settings;
  await w.write(
    p.memberId,
    'line:1',
    lineSettingsSchema,
    {
      useLineSettings: false,
      rules: { mode: 'least_loaded', queue: [{ id: 2 }, { id: 3 }, { id: 4 }], passOnAfterSec: null },
    },
    null,
  );
  await w.write(
    p.memberId,
    'leads',
    leadSettingsSchema,
    {
      rules: { queue: [{ id: 2 }, { id: 3 }], responsible: { enabled: true } },
      skipIfFromAssignedDialog: false,
    },
    null,
  );
  await w.write(
    p.memberId,
    'deals',
    dealSettingsSchema,
    { enabled: true, rules: { queue: [{ id: 2 }, { id: 3 }] } },
    null,
  );
  return p;
}

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
}

const rows = (p: OlPortal) => (p.app.ctx.services.absences as AbsenceServices).repository.list(p.memberId);
const lead = (p: OlPortal, id: number) => p.emu.state.crm.leads.get(id)!;
const deal = (p: OlPortal, id: number) => p.emu.state.crm.deals.get(id)!;
const itemLog = async (p: OlPortal, kind: 'lead' | 'deal', id: number) =>
  (await p.app.ctx.assignmentLog.recent(p.memberId, { kind, objectId: String(id) })).reverse();

describe('absence handover', () => {
  afterEach(closeAll);

  test('an absence entered in the app: unanswered dialogs and untouched leads go to the deputy, answered dialogs and worked leads stay; the deputy covers meanwhile; back without a flood', async () => {
    const p = await portal();
    await p.app.ctx.settings.write(p.memberId, 'handover', handoverSettingsSchema, { enabled: true }, null);
    const answered = await p.newDialog();
    const others = [await p.newDialog(), await p.newDialog()];
    const open = await p.newDialog();
    await calm(p);
    assert.equal(ownerOf(p, answered), 2);
    assert.equal(ownerOf(p, open), 2, 'least loaded, the longest waiting first: Boris has two');
    p.emu.sim.operatorWrites({ chatId: answered, userId: 2, text: 'Hello, how can I help?' });
    const untouched = p.emu.sim.addLead({ title: 'New' });
    const worked = p.emu.sim.addLead({ title: 'In work' });
    await calm(p);
    const bossLead = lead(p, untouched).assignedById === 2 ? untouched : worked;
    const otherLead = bossLead === untouched ? worked : untouched;
    p.emu.sim.updateLead(otherLead, { assignedById: 2 }, 1);
    p.emu.sim.updateLead(bossLead === untouched ? otherLead : bossLead, { stageId: 'IN_PROCESS' }, 2);
    const dealId = p.emu.sim.addDeal({ title: 'Deal' });
    await calm(p);
    const [newLead, inWork] = [
      bossLead === untouched ? bossLead : otherLead,
      bossLead === untouched ? otherLead : bossLead,
    ];
    assert.equal(lead(p, newLead).assignedById, 2);
    assert.equal(lead(p, inWork).assignedById, 2);
    assert.equal(lead(p, inWork).stageId, 'IN_PROCESS');
    if (deal(p, dealId).assignedById !== 2) p.emu.sim.updateDeal(dealId, { assignedById: 2 }, 1);
    await calm(p);

    // Boris goes away for two seconds; Gleb covers.
    const from = Date.now() - 1000;
    const to = Date.now() + 2500;
    await p.app.ctx.settings.write(
      p.memberId,
      'operators',
      operatorsSettingsSchema,
      { '2': { deputyId: 4, absences: [{ from, to, note: 'Vacation' }] } },
      null,
    );
    const r = await p.runJob('sync');
    await calm(p);
    assert.equal(r.totals.absences_started, 1, JSON.stringify(r.totals));
    assert.equal(ownerOf(p, open), 4, 'unanswered: to the deputy');
    assert.equal(ownerOf(p, answered), 2, 'answered: stays (the seed’s rule)');
    assert.equal(lead(p, newLead).assignedById, 4, 'untouched lead: to the deputy');
    assert.equal(lead(p, inWork).assignedById, 2, 'a lead in work stays');
    assert.equal(deal(p, dealId).assignedById, 4, 'untouched deal: to the deputy');
    const [handed] = (await p.log(open)).filter((l) => l.action === 'handover');
    assert.deepEqual([handed.operatorId, handed.previousOperatorId, handed.reason.cover.absentId], [4, 2, 2]);
    const comment = [...p.emu.state.crm.comments.values()]
      .filter((c) => c.entityType === 'lead' && c.entityId === newLead)
      .at(-1)!;
    assert.match(
      comment.comment,
      /Handed over to Gleb Sokolov\. Covering for Boris Ivanov, absent until \d{4}-\d{2}-\d{2}/,
    );
    const [row] = await rows(p);
    assert.deepEqual(
      [row.userId, row.source, row.deputyId, row.state, row.handed],
      [2, 'app', 4, 'active', { dialogs: 1, leads: 1, deals: 1 }],
    );

    // Meanwhile a client of Boris writes: the lead goes to Gleb, who covers.
    p.emu.sim.addContact({ name: 'Regular', assignedById: 2, phone: '+7 900 111-22-33' });
    const regular = p.emu.sim.addLead({ title: 'Regular again', phone: '+7 900 111-22-33' });
    await calm(p);
    assert.equal(lead(p, regular).assignedById, 4);
    const [entry] = await itemLog(p, 'lead', regular);
    assert.deepEqual([entry.reason.rule, entry.reason.cover?.absentId], ['responsible_manager', 2]);

    // Back: nothing is handed back, and the empty desk takes one dialog a round, not all of them.
    await waitFor(() => Date.now() > to, 'the absence to end');
    const back = await p.runJob('sync');
    assert.equal(back.totals.absences_ended, 1);
    assert.equal((await rows(p))[0].state, 'ended');
    assert.equal(ownerOf(p, open), 4);
    const next = [await p.newDialog(), await p.newDialog()];
    await calm(p);
    const owners = next.map((c) => ownerOf(p, c));
    assert.equal(owners.filter((o) => o === 2).length, 1, `one of the next two: ${owners}`);
    assert.ok(others.length === 2);
  });

  test('the portal’s absence (absence chart): handover back to distribution where the line says so; the deputy is not needed', async () => {
    const p = await portal();
    await p.app.ctx.settings.write(
      p.memberId,
      'handover',
      handoverSettingsSchema,
      {
        enabled: true,
        to: 'deputy',
        lines: { '1': 'distribution' },
        dealRoutes: { default: 'distribution' },
      },
      null,
    );
    await p.app.ctx.settings.write(
      p.memberId,
      'operators',
      operatorsSettingsSchema,
      { '3': { deputyId: 4 } },
      null,
    );
    await p.newDialog();
    const veras = await p.newDialog();
    await calm(p);
    assert.equal(ownerOf(p, veras), 3);
    const dealId = p.emu.sim.addDeal({ title: 'For Vera', createdById: 3, assignedById: 3 });
    await calm(p);
    p.emu.sim.addAbsence({ userId: 3, from: Date.now() - 1000, to: Date.now() + 3600_000 });
    p.emu.sim.setUser(3, { online: false });
    (p.app.ctx.services.operators as { invalidate(m: string): void }).invalidate(p.memberId);
    const r = await p.runJob('sync');
    await calm(p);
    assert.equal(r.totals.absences_started, 1, JSON.stringify(r.totals));
    assert.equal(
      ownerOf(p, veras),
      4,
      'the line’s rule: back to distribution (least loaded: Gleb), not the deputy (Daria)',
    );
    assert.equal(deal(p, dealId).assignedById, 2, 'the deal route’s rule: distribution');
    const [row] = await rows(p);
    assert.deepEqual([row.userId, row.source, row.state], [3, 'portal', 'active']);
    assert.ok(row.endsAt > Date.now());
    const [handed] = (await p.log(veras)).filter((l) => l.action === 'handover');
    assert.equal(handed.reason.cover.absentId, 3);
  });
});
