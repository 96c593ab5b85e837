import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { createContext } from '../../src/context.ts';
import { createJobsFeature, runnerFor } from '../../src/jobs/feature.ts';
import { DAY_MS } from '../../src/jobs/maintenance/idle-rules.ts';
import { createMaintenanceFeature } from '../../src/jobs/maintenance/feature.ts';
import type { JobSummary } from '../../src/jobs/summary.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import { lineSettingsSchema } from '../../src/settings/schema.ts';
import { FAST_RESTRICTIONS } from '../helpers/context.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

const FINISH = 'imopenlines.operator.another.finish';

const features = () => [createJobsFeature(), createOpenLinesFeature(), createMaintenanceFeature()];

async function closeIdle(p: OlPortal, now: number, dryRun = false): Promise<JobSummary> {
  const s = await runnerFor(p.app.ctx).run('close-idle', { portal: p.memberId, now, dryRun });
  await p.settle();
  assert.equal(s.status, 'ok', JSON.stringify(s));
  return s;
}

/** The portal's own result in a summary. */
function result(p: OlPortal, s: JobSummary): any {
  return s.portals[p.memberId];
}

/** Successful another.finish calls per chat. */
function finishes(p: OlPortal, chatId?: number): number {
  return p.emu.calls.filter(
    (c) =>
      c.method === FINISH &&
      !c.error &&
      (chatId === undefined || Number((c.params as any).CHAT_ID) === chatId),
  ).length;
}

async function closeLog(p: OlPortal, chatId: number) {
  return (await p.log(chatId)).filter((l) => l.action === 'close');
}

function isOpenAtPortal(p: OlPortal, chatId: number): boolean {
  return p.emu.state.chats.get(chatId)!.activeSessionId !== null;
}

describe('close-idle: no operator answer', () => {
  test('29 days: stays open; 31 days: closed once with another.finish, logged once; a later run does nothing', async () => {
    const p = await olPortal({ features: features() });
    const chatId = await p.newDialog();
    await p.settle();
    const row = (await p.row(chatId))!;
    assert.equal(row.state, 'assigned');

    const early = await closeIdle(p, row.arrivedAt + DAY_MS);
    assert.equal(result(p, early).history_read, 0, 'too young to be worth reading');

    const at29 = await closeIdle(p, row.arrivedAt + 29 * DAY_MS);
    assert.equal(result(p, at29).history_read, 1);
    assert.equal(result(p, at29).closed_no_answer, 0);
    assert.equal(finishes(p), 0);
    assert.ok(isOpenAtPortal(p, chatId));
    assert.equal((await p.row(chatId))!.state, 'assigned');

    const at31 = await closeIdle(p, row.arrivedAt + 31 * DAY_MS);
    const r = result(p, at31);
    assert.equal(r.closed_no_answer, 1);
    assert.equal(r.closed_no_reply, 0);
    assert.equal(r.errors, 0);
    assert.deepEqual(r.dialogs, [
      {
        chatId,
        lineId: 1,
        rule: 'no_operator_answer',
        idleDays: 31,
        operatorId: row.operatorId,
        outcome: 'closed',
      },
    ]);
    assert.equal(at31.totals.closed_no_answer, 1);
    assert.equal(finishes(p, chatId), 1);
    assert.ok(!isOpenAtPortal(p, chatId), 'closed at the portal');
    const closed = (await p.dialogs.get(row.id))!;
    assert.equal(closed.state, 'closed');
    const log = await closeLog(p, chatId);
    assert.equal(log.length, 1);
    assert.equal(log[0].reason.rule, 'no_operator_answer');
    assert.equal(log[0].previousOperatorId, row.operatorId);
    assert.match(log[0].reason.text_en, /no operator has answered for 31 days/);

    const again = await closeIdle(p, row.arrivedAt + 32 * DAY_MS);
    assert.equal(result(p, again).checked, 0);
    assert.equal(finishes(p), 1, 'nothing closed twice');
    assert.equal((await closeLog(p, chatId)).length, 1, 'logged once');
    const left = await p.app.ctx.db.all('SELECT * FROM mnt_close_intents');
    assert.equal(left.length, 0, 'no close left half-done');
  });
});

describe('close-idle: no client reply', () => {
  test('the operator wrote last: 6 days stays open, 8 days closes; a client who replied keeps the dialog', async () => {
    const p = await olPortal({ features: features() });
    const quiet = await p.newDialog();
    const replied = await p.newDialog();
    await p.settle();
    // The operators answered two days after the clients wrote; one client wrote back a day later.
    const msg = p.emu.sim.operatorWrites({
      chatId: quiet,
      userId: ownerOf(p, quiet),
      text: 'How can I help?',
    });
    msg.date += 2 * DAY_MS;
    const answer = p.emu.sim.operatorWrites({ chatId: replied, userId: ownerOf(p, replied), text: 'Hello' });
    answer.date += 2 * DAY_MS;
    const client = p.emu.state.clients.get(p.emu.state.chats.get(replied)!.clientId)!;
    p.emu.sim.clientWrites({ lineId: 1, clientKey: client.clientKey, text: 'Thanks, bye' });
    [...p.emu.state.messages.values()].at(-1)!.date += 3 * DAY_MS;
    await p.settle();
    const wrote = msg.date;

    const at6 = await closeIdle(p, wrote + 6 * DAY_MS);
    assert.equal(result(p, at6).history_read, 2);
    assert.equal(result(p, at6).closed_no_reply, 0);
    assert.equal(finishes(p), 0);
    // What the history said is kept: the quiet dialog is not read again before its week is up.
    const hourLater = await closeIdle(p, wrote + 6 * DAY_MS + 3600_000);
    assert.equal(result(p, hourLater).history_read, 1, 'only the one the client had the last word in');

    const at8 = await closeIdle(p, wrote + 8 * DAY_MS);
    const r = result(p, at8);
    assert.equal(r.closed_no_reply, 1);
    assert.equal(r.closed_no_answer, 0);
    assert.equal(r.dialogs.length, 1);
    assert.equal(r.dialogs[0].chatId, quiet);
    assert.equal(r.dialogs[0].rule, 'no_client_reply');
    assert.equal(r.dialogs[0].idleDays, 8);
    assert.equal(finishes(p, quiet), 1);
    assert.equal(finishes(p, replied), 0);
    assert.ok(isOpenAtPortal(p, replied));
    assert.equal((await closeLog(p, quiet))[0].reason.rule, 'no_client_reply');

    const month = await closeIdle(p, wrote + 40 * DAY_MS);
    assert.equal(result(p, month).closed_no_answer, 0, 'an answered dialog is never "unanswered"');
    assert.ok(isOpenAtPortal(p, replied));
  });
});

describe('close-idle: per line', () => {
  test("a line's own thresholds apply; a line with closing off keeps its dialogs", async () => {
    const seed = {
      ...SEED,
      lines: [
        { id: 1, name: 'Sales chat', queue: [2, 3], config: { QUEUE_TYPE: 'evenly' } },
        { id: 2, name: 'Support chat', queue: [4], config: { QUEUE_TYPE: 'evenly' } },
      ],
    };
    const p = await olPortal({ seed, features: features() });
    const settings = p.app.ctx.settings;
    await settings.write(
      p.memberId,
      'line:1',
      lineSettingsSchema,
      { idle: { noOperatorAnswerDays: 2 } },
      null,
    );
    await settings.write(p.memberId, 'line:2', lineSettingsSchema, { idle: { enabled: false } }, null);
    const fast = await p.newDialog(1);
    const off = await p.newDialog(2);
    await p.settle();
    const t = (await p.row(fast))!.arrivedAt;

    const day1 = await closeIdle(p, t + DAY_MS);
    assert.equal(result(p, day1).history_read, 0);
    const day3 = await closeIdle(p, t + 3 * DAY_MS);
    assert.equal(result(p, day3).closed_no_answer, 1);
    assert.equal(result(p, day3).checked, 1, 'the line with closing off is not even looked at');
    assert.equal(finishes(p, fast), 1);

    await closeIdle(p, t + 90 * DAY_MS);
    assert.equal(finishes(p, off), 0);
    assert.ok(isOpenAtPortal(p, off));
  });
});

describe('close-idle: --dry-run', () => {
  test('reports what would close, with the rule per dialog, and changes nothing anywhere', async () => {
    const p = await olPortal({ features: features() });
    const a = await p.newDialog();
    const b = await p.newDialog();
    await p.settle();
    const t = (await p.row(b))!.arrivedAt;
    const before = {
      rows: await p.dialogs.open(p.memberId),
      log: await p.log(),
      calls: p.emu.calls.length,
    };

    const s = await closeIdle(p, t + 31 * DAY_MS, true);
    assert.equal(s.dryRun, true);
    const r = result(p, s);
    assert.equal(r.closed_no_answer, 2);
    assert.deepEqual(
      r.dialogs.map((x: any) => [x.chatId, x.rule, x.outcome]).sort(),
      [
        [a, 'no_operator_answer', 'would_close'],
        [b, 'no_operator_answer', 'would_close'],
      ].sort(),
    );
    assert.equal(finishes(p), 0);
    assert.ok(
      p.emu.calls.slice(before.calls).every((c) => !/finish|transfer|update|add/i.test(c.method)),
      'only reads went to the portal',
    );
    assert.deepEqual(await p.dialogs.open(p.memberId), before.rows, 'register untouched (versions too)');
    assert.deepEqual(await p.log(), before.log, 'log untouched');
    for (const table of ['mnt_close_intents', 'mnt_idle_facts'])
      assert.equal((await p.app.ctx.db.all(`SELECT * FROM ${table}`)).length, 0, table);

    const real = await closeIdle(p, t + 31 * DAY_MS);
    assert.equal(result(p, real).closed_no_answer, 2, 'the real run does what the dry run said');
    assert.equal(finishes(p), 2);
  });
});

describe('close-idle: one run at a time, and every close once', () => {
  test('two processes start the job together: one runs, one is skipped by the lease; each dialog closes once', async () => {
    const p = await olPortal({ features: features() });
    const chats = [await p.newDialog(), await p.newDialog(), await p.newDialog()];
    await p.settle();
    const now = (await p.row(chats[2]))!.arrivedAt + 31 * DAY_MS;
    // A second process: its own context on the same database.
    const other = await createContext({
      config: p.app.ctx.config,
      log: p.app.ctx.log,
      restrictions: FAST_RESTRICTIONS,
      scheduleJobs: false,
      features: features(),
    });
    try {
      const [x, y] = await Promise.all([
        runnerFor(p.app.ctx).run('close-idle', { portal: p.memberId, now }),
        runnerFor(other).run('close-idle', { portal: p.memberId, now }),
      ]);
      assert.deepEqual([x.status, y.status].sort(), ['ok', 'skipped']);
      const ran = x.status === 'ok' ? x : y;
      assert.equal(ran.totals.closed_no_answer, 3);
    } finally {
      await other.stop();
    }
    await p.settle();
    for (const c of chats) {
      assert.equal(finishes(p, c), 1);
      assert.equal((await closeLog(p, c)).length, 1);
    }
  });

  test('the job entered twice at once in one process (no lease) still closes and logs each dialog once', async () => {
    const p = await olPortal({ features: features() });
    const chats = [await p.newDialog(), await p.newDialog()];
    await p.settle();
    const now = (await p.row(chats[1]))!.arrivedAt + 31 * DAY_MS;
    const job = p.app.ctx.jobs.get('close-idle')!;
    const ctx = {
      memberId: p.memberId,
      client: await p.app.ctx.clients.get(p.memberId),
      now,
      dryRun: false,
      log: p.app.ctx.log,
    };
    const [x, y] = await Promise.all([job.runForPortal(ctx), job.runForPortal(ctx)]);
    await p.settle();
    assert.equal(Number(x.closed_no_answer) + Number(y.closed_no_answer), 2);
    for (const c of chats) {
      assert.equal(
        p.emu.calls.filter((k) => k.method === FINISH && Number((k.params as any).CHAT_ID) === c).length,
        1,
      );
      assert.equal((await closeLog(p, c)).length, 1);
    }
  });
});

describe('close-idle: a close the portal already did', () => {
  test('decided but not sent (crash before the request): the next run closes it once', async () => {
    const p = await olPortal({ features: features() });
    const chatId = await p.newDialog();
    await p.settle();
    const row = (await p.row(chatId))!;
    const now = row.arrivedAt + 31 * DAY_MS;
    const dry = result(p, await closeIdle(p, now, true));
    assert.equal(dry.closed_no_answer, 1);
    // The crashed run got as far as writing its decision down.
    await p.app.ctx.db.run(
      `INSERT INTO mnt_close_intents (dialog_id, member_id, chat_id, rule, reason, decided_at) VALUES (?, ?, ?, 'no_operator_answer', ?, ?)`,
      [
        row.id,
        p.memberId,
        chatId,
        JSON.stringify({ rule: 'no_operator_answer', sinceMs: row.arrivedAt }),
        now,
      ],
    );
    const s = result(p, await closeIdle(p, now + 3600_000));
    assert.equal(s.resumed, 1);
    assert.equal(s.closed_no_answer, 1);
    assert.equal(finishes(p, chatId), 1);
    const log = await closeLog(p, chatId);
    assert.equal(log.length, 1);
    assert.equal(log[0].at, now, 'logged at the decision it finished');
  });

  test('sent, the portal closed it, the confirmation was lost: the re-run logs it once and sends nothing that succeeds', async () => {
    const p = await olPortal({ features: features() });
    const chatId = await p.newDialog();
    await p.settle();
    const row = (await p.row(chatId))!;
    const now = row.arrivedAt + 31 * DAY_MS;
    await p.app.ctx.db.run(
      `INSERT INTO mnt_close_intents (dialog_id, member_id, chat_id, rule, reason, decided_at, sent_at, attempts)
       VALUES (?, ?, ?, 'no_operator_answer', ?, ?, ?, 1)`,
      [
        row.id,
        p.memberId,
        chatId,
        JSON.stringify({ rule: 'no_operator_answer', sinceMs: row.arrivedAt }),
        now,
        now,
      ],
    );
    p.emu.sim.closeDialog(chatId);
    const s = result(p, await closeIdle(p, now + 3600_000));
    assert.equal(s.closed_no_answer, 1);
    assert.equal(finishes(p, chatId), 0, 'the portal refused the repeat; nothing closed twice');
    assert.equal((await p.dialogs.get(row.id))!.state, 'closed');
    assert.equal((await closeLog(p, chatId)).length, 1);

    // Someone else closed another one before this job ever asked: only marked closed, not logged as ours.
    const other = await p.newDialog();
    await p.settle();
    const orow = (await p.row(other))!;
    p.emu.sim.closeDialog(other);
    const s2 = result(p, await closeIdle(p, orow.arrivedAt + 31 * DAY_MS));
    assert.equal(s2.already_closed, 1);
    assert.equal(s2.closed_no_answer, 0);
    assert.equal((await p.dialogs.get(orow.id))!.state, 'closed');
    assert.equal((await closeLog(p, other)).length, 0);
  });
});
