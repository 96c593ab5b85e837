import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type CallRecord, type PortalClock, type PortalSeed, portalClock } from 'b24-emulator';
import type { LeadsServices } from '../../src/crm/feature.ts';
import { runnerFor } from '../../src/jobs/feature.ts';
import { leadSettingsSchema } from '../../src/settings/schema.ts';
import { waitFor } from '../helpers/context.ts';
import { type Stack, startStack } from '../helpers/emulator.ts';

/** Admin 1, operators 2–4, supervisor 9. */
const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true },
    { id: 2, name: 'Boris', lastName: 'Ivanov' },
    { id: 3, name: 'Vera', lastName: 'Petrova' },
    { id: 4, name: 'Gleb', lastName: 'Sokolov' },
    { id: 9, name: 'Sofia', lastName: 'Head' },
  ],
};
const MIN = 60_000;

interface P extends Stack {
  clock: PortalClock;
  /** sees every REST call the portal records */
  onCall?: (c: CallRecord) => void;
  memberId: string;
  leads: LeadsServices;
  /** one pass-on run at the clock's instant (or `at`) */
  passOn(o?: { dryRun?: boolean; at?: number }): Promise<Record<string, unknown>>;
  settle(): Promise<void>;
}

const open: P[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.close();
});

async function portal(firstTouch: Record<string, unknown>, rules: Record<string, unknown> = {}): Promise<P> {
  const clock = portalClock({ start: Date.parse('2030-05-06T09:00:00+03:00'), running: true });
  let p: P | null = null;
  const s = await startStack({
    emulator: { seed: SEED, language: 'en', clock: clock.now, onCall: (c) => p?.onCall?.(c) },
    app: { clock: clock.now },
  });
  p = {
    ...s,
    clock,
    memberId: s.emu.memberId,
    leads: s.app.ctx.services.leads as LeadsServices,
    async passOn(o = {}) {
      const r = await runnerFor(s.app.ctx).run('pass-on', {
        portal: s.emu.memberId,
        now: o.at ?? clock.now(),
        dryRun: o.dryRun ?? false,
      });
      const out = r.portals[s.emu.memberId] as Record<string, unknown>;
      assert.equal(r.status, 'ok', JSON.stringify(r));
      return out;
    },
    async settle() {
      let quiet = 0;
      await waitFor(async () => {
        await s.emu.idle();
        const busy = (await s.app.ctx.inbox.list({ memberId: s.emu.memberId })).some(
          (r) => r.state === 'pending' || r.state === 'processing',
        );
        quiet = busy ? 0 : quiet + 1;
        return quiet >= 2;
      }, 'the app to settle');
    },
  };
  open.push(p);
  await s.app.ctx.settings.write(
    p.memberId,
    'leads',
    leadSettingsSchema,
    {
      rules: { mode: 'strictly', queue: [{ id: 2 }, { id: 3 }, { id: 4 }], ...rules },
      firstTouch: { enabled: true, minutes: 15, supervisorId: 9, ...firstTouch },
    },
    null,
  );
  return p;
}

async function newLead(p: P, title = 'Website request'): Promise<number> {
  const id = p.emu.sim.addLead({ title, name: 'Olga', lastName: 'Lebedeva' });
  await p.settle();
  assert.equal(p.emu.state.crm.leads.get(id)!.assignedById, 2, 'strictly: the first in the queue gets it');
  return id;
}

const holder = (p: P, id: number) => p.emu.state.crm.leads.get(id)!.assignedById;
const seen = (p: P, userId: number) => p.emu.sim.notificationsFor(userId).map((n) => n.message);
const sends = (p: P) => p.emu.state.notifications.length;
const updates = (p: P) => p.emu.calls.filter((c) => c.method === 'crm.item.update').length;

describe('first touch: the pass-on job checks leads', () => {
  test('untouched for 15 minutes: reassigned once, told once; a second run at that instant changes nothing', async () => {
    const p = await portal({ onBreach: 'reassign' });
    const id = await newLead(p);
    assert.deepEqual(await p.passOn(), {
      due: 0,
      answered: 0,
      passedOn: 0,
      stayed: 0,
      ...ft({ due: 0 }),
    });
    p.clock.advance(14 * MIN + 50_000);
    const before = await p.passOn();
    assert.equal(before.firstTouch_breaches, 0, 'just before the deadline: nothing');
    assert.equal(holder(p, id), 2);

    p.clock.advance(20_000);
    const at = p.clock.now();
    const updatesBefore = updates(p);
    const r = await p.passOn({ at });
    assert.equal(r.firstTouch_due, 1);
    assert.equal(r.firstTouch_breaches, 1);
    assert.equal(r.firstTouch_reassigned, 1);
    assert.equal(holder(p, id), 3, 'passed on by the same rule: strictly, the next in the queue');
    assert.equal(updates(p), updatesBefore + 1);
    assert.equal(sends(p), 2, 'the new holder and the previous one, once each');
    assert.match(
      seen(p, 3)[0],
      /Lead \[URL=\/crm\/lead\/details\/\d+\/\]Olga Lebedeva\[\/URL\] is now yours: the client has waited 15 min/,
    );
    assert.match(seen(p, 2)[0], /went to Vera Petrova: no first contact within 15 min/);
    const comment = [...p.emu.state.crm.comments.values()].filter((c) => c.entityId === id).at(-1)!;
    assert.match(
      comment.comment,
      /Passed on from Boris Ivanov to Vera Petrova: no first contact with the client in time/,
    );

    const again = await p.passOn({ at });
    assert.equal(again.firstTouch_breaches, 0, 'the same instant again: no breach');
    assert.equal(updates(p), updatesBefore + 1, 'no second update');
    assert.equal(sends(p), 2, 'no second notification');
    await p.settle();
    const log = (
      await p.app.ctx.assignmentLog.recent(p.memberId, { kind: 'lead', objectId: String(id) })
    ).reverse();
    assert.deepEqual(
      log.map((l) => [l.action, l.operatorId]),
      [
        ['assign', 2],
        ['breach', 3],
        ['pass_on', 3],
      ],
    );
    assert.match(
      log[1].reason.text_en,
      /First-touch deadline missed \(1st time\): Boris Ivanov did not contact the client "Olga Lebedeva" within 15 min/,
    );
    assert.match(log[1].reason.text_ru, /Пропущен срок первого контакта \(1-й раз\)/);
  });

  test('a call by the holder just before the deadline is first contact: no breach, the time is kept', async () => {
    const p = await portal({ onBreach: 'reassign' });
    const id = await newLead(p);
    await p.passOn();
    p.clock.advance(14 * MIN);
    p.emu.sim.addActivity({ ownerId: id, authorId: 2, typeId: 2 });
    p.clock.advance(2 * MIN);
    const r = await p.passOn();
    assert.equal(r.firstTouch_touched, 1);
    assert.equal(r.firstTouch_breaches, 0);
    assert.equal(holder(p, id), 2);
    const w = await p.leads.firstTouchRepository.get(p.memberId, String(id));
    assert.equal(w?.state, 'touched');
    assert.equal(w?.touchedBy, 2);
    assert.equal(Math.round((w!.touchedAt! - w!.arrivedAt) / MIN), 14);
  });

  test('what is not contact by the holder does not count: an incoming call, a colleague’s call', async () => {
    const p = await portal({ onBreach: 'notify' }, { mode: 'evenly' });
    const a = p.emu.sim.addLead({ title: 'A', name: 'Olga', lastName: 'Lebedeva' });
    await p.settle();
    const b = p.emu.sim.addLead({ title: 'B' });
    await p.settle();
    assert.deepEqual([holder(p, a), holder(p, b)], [2, 3]);
    await p.passOn();
    p.clock.advance(5 * MIN);
    p.emu.sim.addActivity({ ownerId: a, authorId: 2, direction: 1 });
    // 3 holds lead B, so the batch asks for 3's activities too: 3's call on A must not count for 2.
    p.emu.sim.addActivity({ ownerId: a, authorId: 3 });
    p.clock.advance(11 * MIN);
    const r = await p.passOn();
    assert.equal(r.firstTouch_breaches, 2);
    assert.equal(r.firstTouch_notified, 2);
    assert.equal(holder(p, a), 2, 'notify: the holder keeps it');
    assert.match(
      seen(p, 2)[0],
      /still has no first contact: the client has waited 16 min \(deadline 15 min\)/,
    );
  });

  test('a stage change by the holder counts; by someone else it does not', async () => {
    const p = await portal({ onBreach: 'notify' });
    const mine = await newLead(p, 'Mine');
    const theirs = await newLead(p, 'Theirs');
    await p.passOn();
    p.clock.advance(3 * MIN);
    p.emu.sim.updateLead(mine, { stageId: 'IN_PROCESS' }, 2);
    p.emu.sim.updateLead(theirs, { stageId: 'IN_PROCESS' }, 4);
    await p.settle();
    p.clock.advance(13 * MIN);
    const r = await p.passOn();
    assert.equal(r.firstTouch_touched, 1);
    assert.equal(r.firstTouch_breaches, 1);
    assert.equal((await p.leads.firstTouchRepository.get(p.memberId, String(mine)))?.touch, 'stage');
    assert.deepEqual(r.firstTouch_list, [
      { leadId: theirs, breach: 1, holderId: 2, action: 'notify', waitedMin: 16 },
    ]);
  });

  test('the update’s answer lost on the wire: the next run reads back and writes nothing twice', async () => {
    const p = await portal({ onBreach: 'reassign' });
    const id = await newLead(p);
    await p.passOn();
    p.clock.advance(16 * MIN);
    // The portal applies the update and the comment, then the connection drops.
    p.onCall = (c) => {
      if (c.method === 'crm.item.update' && c.viaBatch)
        p.emu.injectWireFault({ method: 'batch', kind: 'reset', times: 1 });
    };
    const lost = await p.passOn();
    p.onCall = undefined;
    assert.equal(lost.firstTouch_reassigned, 1);
    assert.equal(holder(p, id), 3, 'the portal did it');
    assert.equal(sends(p), 0, 'no notification before the lead write is confirmed');
    const breach = await p.leads.firstTouchRepository.unwritten(p.memberId);
    assert.equal(breach.length, 1, 'the breach stays open');

    const updatesBefore = updates(p);
    const next = await p.passOn();
    assert.equal(next.firstTouch_breaches, 0, 'no new breach');
    assert.equal(updates(p), updatesBefore, 'read back: the update is not sent again');
    const mine = [...p.emu.state.crm.comments.values()].filter(
      (c) => c.entityId === id && /Passed on/.test(c.comment),
    );
    assert.equal(mine.length, 1, 'one comment');
    assert.equal(seen(p, 3).length, 1);
    assert.equal(seen(p, 2).length, 1);
    assert.deepEqual(await p.leads.firstTouchRepository.unwritten(p.memberId), []);
  });

  test('the notifications’ answer lost: resent under the same tag, each person sees one', async () => {
    const p = await portal({ onBreach: 'notify' });
    await newLead(p);
    await p.passOn();
    p.clock.advance(16 * MIN);
    p.onCall = (c) => {
      if (c.method === 'im.notify.system.add' && c.viaBatch)
        p.emu.injectWireFault({ method: 'batch', kind: 'reset', times: 1 });
    };
    await p.passOn();
    p.onCall = undefined;
    assert.equal(sends(p), 1, 'sent, answer lost');
    await p.passOn();
    assert.equal(sends(p), 2, 'resent once');
    assert.equal(seen(p, 2).length, 1, 'the second replaced the first: seen once');
    await p.passOn();
    assert.equal(sends(p), 2, 'confirmed: not sent again');
  });

  test('the portal refuses the write (down): the breach is kept and finished on the next run', async () => {
    const p = await portal({ onBreach: 'reassign' });
    const id = await newLead(p);
    await p.passOn();
    p.clock.advance(16 * MIN);
    p.emu.injectFault({ method: 'crm.item.update', status: 500, error: 'INTERNAL_SERVER_ERROR', times: 99 });
    await p.passOn();
    assert.equal(holder(p, id), 2, 'nothing written');
    p.emu.clearFaults();
    await p.passOn();
    assert.equal(holder(p, id), 3);
    assert.equal(updates(p) >= 1, true);
    assert.equal(seen(p, 3).length, 1);
  });

  test('escalation after the 2nd breach: the supervisor is told, and the lead is no longer watched', async () => {
    const p = await portal({ onBreach: 'reassign', escalateAfterBreaches: 2 });
    const id = await newLead(p);
    await p.passOn();
    p.clock.advance(16 * MIN);
    const first = await p.passOn();
    assert.equal(first.firstTouch_escalated, 0, 'the first breach does not escalate');
    assert.equal(seen(p, 9).length, 0);
    p.clock.advance(16 * MIN);
    const second = await p.passOn();
    assert.equal(second.firstTouch_breaches, 1);
    assert.equal(second.firstTouch_escalated, 1);
    assert.equal(holder(p, id), 4);
    assert.match(
      seen(p, 9)[0],
      /Escalation: lead .*Olga Lebedeva.* has had no first contact after 2 missed deadlines; the client has waited 32 min\. Now with Gleb Sokolov\./,
    );
    assert.equal((await p.leads.firstTouchRepository.get(p.memberId, String(id)))?.state, 'escalated');
    p.clock.advance(16 * MIN);
    const third = await p.passOn();
    assert.equal(third.firstTouch_breaches, 0, 'escalated: not watched any more');
    assert.equal(holder(p, id), 4);
  });

  test('--dry-run reports the breach and changes nothing; the real run then does what it said', async () => {
    const p = await portal({ onBreach: 'reassign' });
    const id = await newLead(p);
    p.clock.advance(16 * MIN);
    const at = p.clock.now();
    const tables = async () =>
      JSON.stringify(
        await Promise.all(
          [
            'first_touch_watch',
            'first_touch_breach',
            'first_touch_notice',
            'leads',
            'assignment_log',
            'quota_ledger',
          ].map((t) => p.app.ctx.db.all(`SELECT * FROM ${t} ORDER BY 1, 2, 3`)),
        ),
      );
    const beforeDb = await tables();
    const beforeCalls = p.emu.calls.length;
    const dry = await p.passOn({ dryRun: true, at });
    assert.equal(dry.firstTouch_breaches, 1);
    assert.deepEqual(dry.firstTouch_list, [
      { leadId: id, breach: 1, holderId: 2, action: 'reassign', to: 3, waitedMin: 16 },
    ]);
    assert.equal(await tables(), beforeDb, 'the store is as it was');
    const writes = p.emu.calls.slice(beforeCalls).filter((c) => /update|add|transfer/.test(c.method));
    assert.deepEqual(writes, [], 'nothing written to the portal');
    assert.equal(holder(p, id), 2);
    assert.equal(sends(p), 0);
    const real = await p.passOn({ at });
    assert.deepEqual(real.firstTouch_list, dry.firstTouch_list);
    assert.equal(holder(p, id), 3);
  });

  test('working hours: the clock stands still outside them', async () => {
    // 09:00 Moscow Monday; hours 09:00–09:10 then 10:00–18:00: 10 minutes before the break, 5 after.
    const p = await portal({
      onBreach: 'notify',
      workingHours: {
        timeZone: 'Europe/Moscow',
        days: {
          mon: [
            ['09:00', '09:10'],
            ['10:00', '18:00'],
          ],
        },
      },
    });
    await newLead(p);
    await p.passOn();
    p.clock.advance(30 * MIN); // 09:30: 10 working minutes so far
    assert.equal((await p.passOn()).firstTouch_breaches, 0, 'outside working hours the minutes do not run');
    p.clock.set(Date.parse('2030-05-06T10:04:30+03:00'));
    assert.equal((await p.passOn()).firstTouch_breaches, 0, 'just before: 14.5 working minutes');
    p.clock.set(Date.parse('2030-05-06T10:05:30+03:00'));
    assert.equal((await p.passOn()).firstTouch_breaches, 1, 'just after: 15.5 working minutes');
  });
});

function ft(o: Record<string, number>): Record<string, number> {
  const base = {
    due: 0,
    touched: 0,
    breaches: 0,
    reassigned: 0,
    notified: 0,
    escalated: 0,
    ended: 0,
    undecided: 0,
  };
  return Object.fromEntries(Object.entries({ ...base, ...o }).map(([k, v]) => [`firstTouch_${k}`, v]));
}
