import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { createContext } from '../../src/context.ts';
import type { PortalSeed } from 'b24-emulator';
import { createJobsFeature, runnerFor } from '../../src/jobs/feature.ts';
import { createMaintenanceFeature } from '../../src/jobs/maintenance/feature.ts';
import type { JobScheduler } from '../../src/jobs/scheduler.ts';
import type { JobSummary } from '../../src/jobs/summary.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import { FAST_RESTRICTIONS } from '../helpers/context.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

const TRANSFER = 'imopenlines.operator.transfer';

const features = () => [createJobsFeature(), createOpenLinesFeature(), createMaintenanceFeature()];

function seedWith(
  config: Record<string, unknown>,
  queue: number[],
  extra: Partial<PortalSeed> = {},
): PortalSeed {
  return { ...SEED, ...extra, lines: [{ id: 1, name: 'Sales chat', queue, config }] };
}

async function reclaim(p: OlPortal, o: { now?: number; dryRun?: boolean } = {}): Promise<JobSummary> {
  const s = await runnerFor(p.app.ctx).run('reclaim-departed', { portal: p.memberId, ...o });
  await p.settle();
  assert.equal(s.status, 'ok', JSON.stringify(s));
  return s;
}

function result(p: OlPortal, s: JobSummary): any {
  return s.portals[p.memberId];
}

/** Successful operator.transfer calls (the app's later moves) per chat, with their targets. */
function moves(p: OlPortal, chatId?: number): string[] {
  return p.emu.calls
    .filter(
      (c) =>
        c.method === TRANSFER &&
        !c.error &&
        (chatId === undefined || Number((c.params as any).CHAT_ID) === chatId),
    )
    .map((c) => String((c.params as any).TRANSFER_ID ?? (c.params as any).USER_ID));
}

async function dialogsOf(p: OlPortal, n: number): Promise<number[]> {
  const chats: number[] = [];
  for (let i = 0; i < n; i++) chats.push(await p.newDialog());
  await p.settle();
  return chats;
}

describe('reclaim-departed: dismissed staff', () => {
  test("a dismissed operator's dialogs go to the operator the rules pick; with nobody left, to the line's queue", async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly' }, [2, 3]), features: features() });
    const chats = await dialogsOf(p, 3);
    for (const c of chats) assert.equal(ownerOf(p, c), 2);
    p.emu.sim.setUser(2, { active: false });

    const s = await reclaim(p);
    const r = result(p, s);
    assert.equal(r.checked, 3);
    assert.equal(r.departed, 3);
    assert.equal(r.reclaimed, 3);
    assert.equal(r.to_line_queue, 0);
    assert.equal(r.errors, 0);
    assert.deepEqual(r.reclaimedTo, [{ operatorId: 3, dialogs: 3 }]);
    assert.deepEqual(
      r.dialogs.map((d: any) => [d.chatId, d.from, d.cause, d.to, d.outcome]),
      chats.map((c) => [c, 2, 'dismissed', 3, 'reclaimed']),
    );
    for (const c of chats) {
      assert.equal(ownerOf(p, c), 3);
      assert.deepEqual(moves(p, c), ['3'], 'one transfer');
      const row = (await p.row(c))!;
      assert.equal(row.state, 'assigned');
      assert.equal(row.operatorId, 3);
      const log = (await p.log(c)).filter((l) => l.action === 'reclaim');
      assert.equal(log.length, 1);
      assert.equal(log[0].operatorId, 3);
      assert.equal(log[0].previousOperatorId, 2);
      assert.equal(log[0].reason.dialog, 'departed');
      assert.equal(log[0].reason.detail, 'reclaim_dismissed');
    }

    p.emu.sim.setUser(3, { active: false });
    const s2 = result(p, await reclaim(p));
    assert.equal(s2.to_line_queue, 3);
    assert.equal(s2.reclaimed, 0);
    for (const c of chats) {
      assert.deepEqual(moves(p, c), ['3', 'queue1']);
      const row = (await p.row(c))!;
      assert.equal(row.state, 'portal');
      assert.equal(row.holder, 'none');
      const last = (await p.log(c)).at(-1)!;
      assert.equal(last.action, 'portal_queue');
      assert.equal(last.reason.detail, 'reclaim_dismissed');
    }

    const s3 = result(p, await reclaim(p));
    assert.equal(s3.checked, 0, 'nothing left held by anyone who left');
    assert.equal(moves(p).length, 6, 'no dialog moved twice');
  });
});

describe('reclaim-departed: staff no longer in the queue', () => {
  test("an operator taken out of the line's queue loses their dialogs to the members; the client's own CRM manager keeps theirs", async () => {
    const seed = seedWith({ QUEUE_TYPE: 'evenly', CRM: 'Y', CRM_FORWARD: 'Y' }, [2, 3, 4], {
      contacts: [{ id: 1, name: 'Known', assignedById: 6, phone: '+7 900 000-00-01' }],
    });
    const p = await olPortal({ seed, features: features() });
    const chats = await dialogsOf(p, 3);
    const known = await p.newDialog(1, 'known', { phone: '+79000000001' });
    await p.settle();
    assert.equal(ownerOf(p, known), 6, 'the responsible, from outside the queue');
    const leaver = ownerOf(p, chats[0]);
    const stays = chats.filter((c) => ownerOf(p, c) !== leaver);

    // The line's queue loses the operator; sync reads the line again.
    const line = p.emu.state.lines.get(1)!;
    line.queue = line.queue.filter((e) => e.entityId !== leaver);
    await runnerFor(p.app.ctx).run('sync', { portal: p.memberId });
    await p.settle();

    const r = result(p, await reclaim(p));
    assert.equal(r.departed, 2, "the leaver's dialog and the responsible's");
    assert.equal(r.reclaimed, 1);
    assert.equal(r.skipped, 1);
    const kept = r.dialogs.find((d: any) => d.chatId === known);
    assert.deepEqual([kept.cause, kept.outcome, kept.reason], ['left_queue', 'kept', 'crm_responsible']);
    const moved = r.dialogs.find((d: any) => d.chatId === chats[0]);
    assert.equal(moved.cause, 'left_queue');
    assert.ok([2, 3, 4].filter((id) => id !== leaver).includes(ownerOf(p, chats[0])));
    assert.equal(ownerOf(p, known), 6);
    for (const c of stays) assert.deepEqual(moves(p, c), [], 'members keep their dialogs');
    const log = (await p.log(chats[0])).filter((l) => l.action === 'reclaim');
    assert.equal(log.length, 1);
    assert.equal(log[0].reason.detail, 'reclaim_left_queue');
  });
});

describe('reclaim-departed: --dry-run', () => {
  test('reports who would get each dialog and why, and changes nothing; the real run then does just that', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'evenly' }, [2, 3, 4]), features: features() });
    p.emu.sim.setUser(3, { online: false });
    p.emu.sim.setUser(4, { online: false });
    await runnerFor(p.app.ctx).run('sync', { portal: p.memberId });
    const chats = await dialogsOf(p, 4);
    for (const c of chats) assert.equal(ownerOf(p, c), 2);
    p.emu.sim.setUser(3, { online: true });
    p.emu.sim.setUser(4, { online: true });
    p.emu.sim.setUser(2, { active: false });
    const before = {
      rows: await p.dialogs.open(p.memberId),
      log: await p.log(),
      stamps: await p.app.ctx.db.all('SELECT * FROM queue_state ORDER BY 1, 2, 3'),
      calls: p.emu.calls.length,
    };

    const dry = await reclaim(p, { dryRun: true });
    const r = result(p, dry);
    assert.equal(dry.dryRun, true);
    assert.equal(r.reclaimed, 4, JSON.stringify(r));
    const predicted = r.dialogs.map((d: any) => [d.chatId, d.to, d.outcome, d.reason]);
    assert.deepEqual(
      predicted.map((x: any[]) => x[2]),
      ['would_move', 'would_move', 'would_move', 'would_move'],
    );
    assert.deepEqual(
      predicted.map((x: any[]) => x[1]).sort(),
      [3, 3, 4, 4],
      'evenly between the two left, counting its own earlier picks',
    );
    assert.ok(predicted.every((x: any[]) => x[3] === 'evenly'));
    assert.equal(moves(p).length, 0);
    assert.ok(
      p.emu.calls.slice(before.calls).every((c) => !/transfer|finish|update|add/i.test(c.method)),
      'only reads went to the portal',
    );
    assert.deepEqual(await p.dialogs.open(p.memberId), before.rows, 'register untouched');
    assert.deepEqual(await p.log(), before.log, 'log untouched');
    assert.deepEqual(await p.app.ctx.db.all('SELECT * FROM queue_state ORDER BY 1, 2, 3'), before.stamps);
    assert.equal((await p.app.ctx.db.all('SELECT * FROM mnt_daily_runs')).length, 0);

    const real = result(p, await reclaim(p));
    assert.deepEqual(
      real.dialogs.map((d: any) => [d.chatId, d.to]),
      predicted.map((x: any[]) => [x[0], x[1]]),
      'the same moves',
    );
    for (const c of chats) assert.equal(moves(p, c).length, 1);
  });
});

describe('reclaim-departed: once a day from 03:00 portal time when scheduled', () => {
  /** The emulator's zone offset that makes the portal's wall clock read hh:mm now. */
  function offsetFor(hh: number, mm: number): number {
    const d = new Date();
    const utcMin = d.getUTCHours() * 60 + d.getUTCMinutes();
    let off = (hh * 60 + mm - utcMin) % 1440;
    if (off > 720) off -= 1440;
    if (off <= -720) off += 1440;
    return off;
  }

  async function scheduledRun(p: OlPortal): Promise<any> {
    const scheduler = p.app.ctx.services.jobScheduler as JobScheduler;
    await scheduler.tick('reclaim-departed');
    await p.settle();
    const row = await p.app.ctx.db.get<{ summary: string }>(
      `SELECT summary FROM job_runs WHERE job = 'reclaim-departed' AND member_id = ? ORDER BY id DESC LIMIT 1`,
      [p.memberId],
    );
    return JSON.parse(row!.summary);
  }

  test('before 03:00 the schedule does nothing; a run from the CLI does its work anyway', async () => {
    const p = await olPortal({
      seed: seedWith({ QUEUE_TYPE: 'strictly' }, [2, 3]),
      features: features(),
      emulator: { tzOffsetMinutes: offsetFor(2, 30) },
    });
    const [chat] = await dialogsOf(p, 1);
    p.emu.sim.setUser(2, { active: false });
    const tick = await scheduledRun(p);
    assert.equal(tick.due, false);
    assert.equal(tick.why, 'before_hour');
    assert.match(tick.timeZone, /^UTC[+-]\d\d:\d\d$/);
    assert.equal(tick.zoneSource, 'server.time');
    assert.equal(moves(p).length, 0);

    const cli = result(p, await reclaim(p));
    assert.equal(cli.reclaimed, 1);
    assert.equal(ownerOf(p, chat), 3);
  });

  test('RECLAIM_HOUR moves the daily hour: at 02:30 with RECLAIM_HOUR=2 the scheduled run works', async () => {
    const p = await olPortal({
      seed: seedWith({ QUEUE_TYPE: 'strictly' }, [2, 3]),
      features: features(),
      emulator: { tzOffsetMinutes: offsetFor(2, 30) },
      env: { RECLAIM_HOUR: '2' },
    });
    const [chat] = await dialogsOf(p, 1);
    p.emu.sim.setUser(2, { active: false });
    const tick = await scheduledRun(p);
    assert.equal(tick.reclaimed, 1, JSON.stringify(tick));
    assert.equal(ownerOf(p, chat), 3);
  });

  test("the installing user's TIME_ZONE is the portal's zone when they have one", async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly' }, [2, 3]), features: features() });
    p.emu.state.users.get(1)!.timeZone = 'Pacific/Kiritimati';
    const r = result(p, await reclaim(p));
    assert.equal(r.timeZone, 'Pacific/Kiritimati');
    assert.equal(r.zoneSource, 'user');
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Pacific/Kiritimati' }).format(new Date());
    assert.equal(r.localDay, today);
  });

  test('from 03:00 the first scheduled run works, later ones that day do not; the CLI still does', async () => {
    const p = await olPortal({
      seed: seedWith({ QUEUE_TYPE: 'strictly' }, [2, 3, 4]),
      features: features(),
      emulator: { tzOffsetMinutes: offsetFor(3, 30) },
    });
    const [a] = await dialogsOf(p, 1);
    p.emu.sim.setUser(2, { active: false });
    const first = await scheduledRun(p);
    assert.equal(first.reclaimed, 1);
    assert.equal(ownerOf(p, a), 3);

    const [b] = await dialogsOf(p, 1);
    assert.equal(ownerOf(p, b), 3);
    p.emu.sim.setUser(3, { active: false });
    const second = await scheduledRun(p);
    assert.equal(second.due, false);
    assert.equal(second.why, 'done_today');
    assert.equal(ownerOf(p, b), 3, 'left for tomorrow');

    const cli = result(p, await reclaim(p));
    assert.equal(cli.reclaimed, 2);
    assert.equal(ownerOf(p, a), 4);
    assert.equal(ownerOf(p, b), 4);
  });
});

describe('reclaim-departed: one run at a time, each move once', () => {
  test('two processes start it together: one runs, one is skipped by the lease; each dialog moves once', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly' }, [2, 3]), features: features() });
    const chats = await dialogsOf(p, 3);
    p.emu.sim.setUser(2, { active: false });
    const other = await createContext({
      config: p.app.ctx.config,
      log: p.app.ctx.log,
      restrictions: FAST_RESTRICTIONS,
      scheduleJobs: false,
      features: features(),
    });
    try {
      const [x, y] = await Promise.all([
        runnerFor(p.app.ctx).run('reclaim-departed', { portal: p.memberId }),
        runnerFor(other).run('reclaim-departed', { portal: p.memberId }),
      ]);
      assert.deepEqual([x.status, y.status].sort(), ['ok', 'skipped']);
      assert.equal((x.status === 'ok' ? x : y).totals.reclaimed, 3);
    } finally {
      await other.stop();
    }
    await p.settle();
    for (const c of chats) {
      assert.deepEqual(moves(p, c), ['3']);
      assert.equal((await p.log(c)).filter((l) => l.action === 'reclaim').length, 1);
    }
  });

  test('entered twice at once in one process (no lease): each dialog still moves and is logged once', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly' }, [2, 3]), features: features() });
    const chats = await dialogsOf(p, 3);
    p.emu.sim.setUser(2, { active: false });
    const job = p.app.ctx.jobs.get('reclaim-departed')!;
    const ctx = {
      memberId: p.memberId,
      client: await p.app.ctx.clients.get(p.memberId),
      now: Date.now(),
      dryRun: false,
      log: p.app.ctx.log,
    };
    await Promise.all([job.runForPortal(ctx), job.runForPortal(ctx)]);
    await p.settle();
    for (const c of chats) {
      assert.equal(ownerOf(p, c), 3);
      assert.equal(
        p.emu.calls.filter((k) => k.method === TRANSFER && Number((k.params as any).CHAT_ID) === c).length,
        1,
        'asked once',
      );
      assert.equal((await p.log(c)).filter((l) => l.action === 'reclaim').length, 1);
    }
  });
});
