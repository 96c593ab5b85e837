import type { AppContext } from '../../src/context.ts';
import { DialogRepository } from '../../src/db/repositories/dialogs.ts';
import { JobRepository } from '../../src/db/repositories/jobs.ts';
import { OfflineEventsStatusRepository } from '../../src/db/repositories/offline-events-status.ts';
import { PageStatsRepository } from '../../src/db/repositories/page-stats.ts';
import { runnerFor } from '../../src/jobs/feature.ts';
import { waitFor } from '../helpers/context.ts';

const none = { at_capacity: [], unavailable: [] };

/**
 * Today's decisions of every kind the log words (the engine's, a lead left alone, an idle dialog
 * closed, one taken at the portal), real job runs (their counters as the jobs report them), a
 * failed one, and a dead letter: everything the page must say in words, never as a code.
 */
export async function seedPage(ctx: AppContext, memberId: string): Promise<void> {
  const now = Date.now();
  // The page counts "today" from the browser's midnight: squeeze the last hour's story into
  // the time since midnight when the test runs just after it, keeping the order.
  const midnight = new Date(now).setHours(0, 0, 0, 0);
  const hour = Math.max(0, Math.min(60 * 60_000, now - midnight - 1000));
  const at = (minAgo: number) => now - Math.round((minAgo / 60) * hour);
  const rows: [string, 'dialog' | 'lead', string, number | null, unknown, number][] = [
    [
      'assign',
      'dialog',
      '1201',
      3,
      {
        rule: 'evenly',
        operatorId: 3,
        skipped: {
          at_capacity: [],
          unavailable: [
            { id: 5, why: 'offline' },
            { id: 4, why: 'paused' },
          ],
        },
      },
      50,
    ],
    ['assign', 'dialog', '1202', 6, { rule: 'strictly', operatorId: 6, skipped: none }, 44],
    [
      'assign',
      'lead',
      '1001',
      3,
      {
        rule: 'responsible_manager',
        operatorId: 3,
        skipped: none,
        responsible: { operatorId: 3, entity: 'contact' },
      },
      40,
    ],
    [
      'assign',
      'dialog',
      '1203',
      7,
      { rule: 'strictly', operatorId: 7, skipped: { at_capacity: [6], unavailable: [] } },
      31,
    ],
    [
      'pass_on',
      'dialog',
      '1202',
      7,
      {
        rule: 'pass_on',
        operatorId: 7,
        passOn: { fromId: 6, by: 'strictly', newRound: false },
        skipped: none,
      },
      25,
    ],
    [
      'skip',
      'lead',
      '1003',
      4,
      { rule: 'skip', detail: 'from_assigned_dialog', operatorId: 4, dialogOperatorId: 4 },
      22,
    ],
    ['skip', 'lead', '1004', 2, { rule: 'skip', detail: 'responsible_chosen', operatorId: 2 }, 21],
    ['assign', 'lead', '1002', 2, { rule: 'least_loaded', operatorId: 2, skipped: none }, 18],
    ['close', 'dialog', '1190', null, { rule: 'no_operator_answer', since: at(60), thresholdDays: 30 }, 15],
    [
      'portal_queue',
      'dialog',
      '1191',
      7,
      { rule: 'portal_queue', skipped: none, detail: 'taken_by_portal' },
      14,
    ],
    ['assign', 'dialog', '1204', 6, { rule: 'strictly', operatorId: 6, skipped: none }, 12],
    [
      'assign',
      'dialog',
      '1205',
      3,
      {
        rule: 'evenly',
        operatorId: 3,
        skipped: { at_capacity: [], unavailable: [{ id: 5, why: 'offline' }] },
      },
      6,
    ],
    [
      'wait',
      'dialog',
      '1206',
      null,
      {
        rule: 'wait',
        skipped: {
          at_capacity: [6, 7],
          unavailable: [
            { id: 8, why: 'absent' },
            { id: 9, why: 'dismissed' },
          ],
        },
      },
      2,
    ],
  ];
  for (const [action, kind, objectId, operatorId, reason, minAgo] of rows) {
    await ctx.assignmentLog.add({
      memberId,
      kind,
      objectId,
      queueId: kind === 'lead' ? 'leads:default' : 'line:2',
      action: action as 'assign',
      operatorId,
      reason,
      at: at(minAgo),
    });
  }
  // The waiting queue as the sampler records it: a morning peak of dialogs, a few leads.
  const stats = new PageStatsRepository(ctx.db);
  for (let m = 60; m >= 1; m--) {
    const minute = at(m) - (at(m) % 60_000);
    await stats.recordWaiting(
      memberId,
      minute,
      Math.round(6 * Math.sin((m / 60) * Math.PI)),
      m % 20 === 0 ? 1 : 0,
    );
  }
  // Closed dialogs of both lines with their first answer, noticed through the register's own update.
  const dialogs = new DialogRepository(ctx.db);
  const waits = { 1: [20, 35, 50, 65, 240], 2: [10, 15, 30, 45, 90, 600] } as Record<number, number[]>;
  let chat = 90_000;
  for (const [line, secs] of Object.entries(waits)) {
    for (const s of secs) {
      const arrived = at(45);
      const ins = await dialogs.insert({
        memberId,
        chatId: ++chat,
        sessionId: chat,
        lineId: Number(line),
        userCode: `seed|${chat}`,
        crm: null,
        arrivedAt: arrived,
        eventId: null,
        now: arrived,
      });
      if (!ins.row) throw new Error('seed dialog not inserted');
      const answered = await dialogs.update(
        ins.row,
        { state: 'assigned', holder: 'operator', operatorId: 6, answered: true },
        arrived + s * 1000,
      );
      await dialogs.update(
        answered!,
        { state: 'closed', closedAt: arrived + s * 1000 + 1000 },
        arrived + s * 1000 + 1000,
      );
    }
  }
  const jobs = new JobRepository(ctx.db);
  const id = await jobs.startRun({
    job: 'close-idle',
    memberId,
    runId: 'seed-close',
    startedAt: at(55),
    dryRun: false,
  });
  await jobs.finishRun(id, 'failed', at(55) + 800, {
    error: 'imopenlines.operator.another.finish: ACCESS_DENIED',
  });
  // Real runs: their results carry the counters the jobs report (sync's lead counters too).
  const runner = runnerFor(ctx);
  for (const job of ['sync', 'pass-on', 'reclaim-departed'] as const)
    await runner.run(job, { portal: memberId });
  // An event no part of the app handles: the worker dead-letters it at once, as in production.
  await ctx.inbox.insertMany([
    {
      memberId,
      dedupKey: 'seed-dead-1',
      event: 'ONCRMCONTACTADD',
      objectKey: 'contact:1003',
      source: 'online',
      payload: {},
      receivedAt: at(20),
    },
  ]);
  ctx.worker.wake();
  await waitFor(async () => (await ctx.inbox.findByDedupKey('seed-dead-1'))?.state === 'dead', 'dead letter');
  // The installer is no administrator: the portal keeps its offline events from the app (set
  // last: the install's own set-up, done by now, records what it found).
  await new OfflineEventsStatusRepository(ctx.db).set(memberId, 'not_admin', at(50));
}
