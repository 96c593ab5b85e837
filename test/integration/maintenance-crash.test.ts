import assert from 'node:assert/strict';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { afterEach, describe, test } from 'node:test';
import { JobRepository } from '../../src/db/repositories/jobs.ts';
import type { CallRecord } from 'b24-emulator';
import { createJobsFeature } from '../../src/jobs/feature.ts';
import { DAY_MS } from '../../src/jobs/maintenance/idle-rules.ts';
import { createMaintenanceFeature } from '../../src/jobs/maintenance/feature.ts';
import { JobRunner } from '../../src/jobs/runner.ts';
import type { JobSummary } from '../../src/jobs/summary.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import { storeEnvOf } from '../helpers/cli.ts';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../helpers/context.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

const FINISH = 'imopenlines.operator.another.finish';
const TRANSFER = 'imopenlines.operator.transfer';

/**
 * The app's clock runs this far ahead of the wall clock: `runAfterLease` moves it on, so the
 * next run happens when the next scheduled run would, the dead run's lease and heartbeat long
 * gone (as the app sees it, not only the runner).
 */
const ahead = { ms: 0 };

/** A portal whose REST calls a test can watch as the emulator carries them out. */
async function watchedPortal(seed = SEED) {
  let onCall: ((rec: CallRecord) => void) | undefined;
  ahead.ms = 0;
  const p = await olPortal({
    seed,
    features: [createJobsFeature(), createOpenLinesFeature(), createMaintenanceFeature()],
    emulator: { onCall: (rec) => onCall?.(rec) },
    clock: () => Date.now() + ahead.ms,
  });
  return { p, watch: (f: typeof onCall) => (onCall = f) };
}

/** What `npm run job` needs to work on the test app's store and portal; nothing else leaks in. */
function cliEnv(p: OlPortal): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    B24_CLIENT_ID: TEST_CLIENT_ID,
    B24_CLIENT_SECRET: TEST_CLIENT_SECRET,
    ...storeEnvOf(p.app.ctx.config),
    B24_ALLOW_HTTP: '1',
    B24_OAUTH_SERVER: p.emu.url,
    PUBLIC_URL: p.app.url,
    LOG_LEVEL: 'silent',
  };
}

/**
 * `npm run job` in a process of its own on the app's database, killed (SIGKILL) the moment the
 * portal carries out the first `method`: the rest of that batch is done at the portal, and the
 * process never learns of it.
 */
async function crashedRun(
  p: OlPortal,
  watch: (f: ((rec: CallRecord) => void) | undefined) => void,
  args: string[],
  method: string,
): Promise<void> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/job.ts', ...args], {
    cwd: process.cwd(),
    stdio: ['ignore', 'ignore', 'ignore'],
    env: cliEnv(p),
  });
  let killed = false;
  watch((rec) => {
    if (!killed && rec.method === method && !rec.error) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  watch(undefined);
  assert.ok(killed, `the run was killed mid-way (it exited with ${code} before any ${method})`);
}

/**
 * The next run, in the test's process, five minutes later: the dead run's lease has run out,
 * and its heartbeat is old enough for its moves on the wire to be taken over.
 */
function runAfterLease(p: OlPortal, name: string, now?: number): Promise<JobSummary> {
  ahead.ms = 5 * 60_000;
  const runner = new JobRunner({
    repo: new JobRepository(p.app.ctx.db),
    store: p.app.ctx.store,
    clients: p.app.ctx.clients,
    jobs: p.app.ctx.jobs,
    log: p.app.ctx.log,
    clock: () => Date.now() + ahead.ms,
  });
  return runner.run(name, { portal: p.memberId, ...(now !== undefined ? { now } : {}) });
}

function succeeded(p: OlPortal, method: string, chatId: number): number {
  return p.emu.calls.filter(
    (c) => c.method === method && !c.error && Number((c.params as any).CHAT_ID) === chatId,
  ).length;
}

describe('maintenance: a run killed mid-way', () => {
  test('close-idle: the next run finishes the closes; none is closed twice or logged twice', async () => {
    const { p, watch } = await watchedPortal();
    const chats: number[] = [];
    // More than one write batch (50), so the crash leaves closes done, sent and not yet sent.
    for (let i = 0; i < 55; i++) chats.push(await p.newDialog());
    await p.settle();
    const now = (await p.row(chats.at(-1)!))!.arrivedAt + 31 * DAY_MS;

    await crashedRun(
      p,
      watch,
      ['close-idle', '--portal', p.memberId, '--now', new Date(now).toISOString()],
      FINISH,
    );
    const closedAtPortal = chats.filter((c) => p.emu.state.chats.get(c)!.activeSessionId === null);
    assert.ok(
      closedAtPortal.length > 0 && closedAtPortal.length < chats.length,
      `${closedAtPortal.length} closed`,
    );
    assert.equal(
      (await p.dialogs.open(p.memberId)).length,
      chats.length,
      'the dead run recorded none of them',
    );
    assert.equal((await p.app.ctx.db.all('SELECT * FROM mnt_close_intents')).length, chats.length);

    const s = await runAfterLease(p, 'close-idle', now);
    await p.settle();
    assert.equal(s.status, 'ok', JSON.stringify(s));
    assert.equal(s.totals.resumed, chats.length, 'finished, not decided again');
    assert.equal(s.totals.closed_no_answer, chats.length);
    for (const c of chats) {
      assert.equal(succeeded(p, FINISH, c), 1, `chat ${c} closed once at the portal`);
      assert.equal((await p.log(c)).filter((l) => l.action === 'close').length, 1, `chat ${c} logged once`);
      assert.equal((await p.row(c))!.state, 'closed');
    }
    assert.equal((await p.app.ctx.db.all('SELECT * FROM mnt_close_intents')).length, 0);
    const dead = await p.app.ctx.db.all<{ status: string; summary: string }>(
      `SELECT status, summary FROM job_runs WHERE job = 'close-idle' AND status = 'failed'`,
    );
    assert.equal(dead.length, 1, 'the dead run is journaled as interrupted');
    assert.match(dead[0].summary, /interrupted/);
  });

  test('reclaim-departed: the next run finishes the moves; each dialog moves once and is logged once', async () => {
    const { p, watch } = await watchedPortal({
      ...SEED,
      lines: [{ id: 1, name: 'Sales chat', queue: [2, 3, 4], config: { QUEUE_TYPE: 'strictly' } }],
    });
    const chats: number[] = [];
    for (let i = 0; i < 12; i++) chats.push(await p.newDialog());
    await p.settle();
    for (const c of chats) assert.equal(ownerOf(p, c), 2);
    p.emu.sim.setUser(2, { active: false });

    await crashedRun(p, watch, ['reclaim-departed', '--portal', p.memberId], TRANSFER);
    const rows = await Promise.all(chats.map((c) => p.row(c)));
    assert.ok(
      rows.some((r) => r!.state !== 'assigned' || r!.operatorId !== 3),
      'the dead run left moves unfinished',
    );

    const s = await runAfterLease(p, 'reclaim-departed');
    await p.settle();
    assert.equal(s.status, 'ok', JSON.stringify(s));
    assert.ok(s.totals.resumed > 0, 'moves the dead run recorded were finished, not decided again');
    for (const c of chats) {
      assert.equal(ownerOf(p, c), 3);
      assert.equal(succeeded(p, TRANSFER, c), 1, `chat ${c} moved once`);
      assert.equal((await p.log(c)).filter((l) => l.action === 'reclaim').length, 1, `chat ${c} logged once`);
      const row = (await p.row(c))!;
      assert.equal(row.state, 'assigned');
      assert.equal(row.operatorId, 3);
    }
  });
});

describe('maintenance: from the command line', () => {
  test('npm run job -- close-idle --dry-run --now …: exit 0, one JSON line with the counts and the dialogs', async () => {
    const { p } = await watchedPortal();
    const chatId = await p.newDialog();
    await p.settle();
    const now = new Date((await p.row(chatId))!.arrivedAt + 31 * DAY_MS).toISOString();
    const out = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', 'src/cli/job.ts', 'close-idle', '--dry-run', '--now', now],
        { cwd: process.cwd(), env: cliEnv(p), timeout: 60_000 },
        (err, stdout) => resolve({ code: err ? ((err.code as number) ?? null) : 0, stdout }),
      );
    });
    assert.equal(out.code, 0);
    const lines = out.stdout.split('\n').filter(Boolean);
    assert.equal(lines.length, 1);
    const s = JSON.parse(lines[0]);
    assert.equal(s.job, 'close-idle');
    assert.equal(s.dryRun, true);
    assert.equal(s.now, now);
    const r = s.portals[p.memberId];
    for (const k of ['checked', 'closed_no_answer', 'closed_no_reply', 'skipped', 'errors'])
      assert.equal(typeof r[k], 'number', k);
    assert.equal(r.closed_no_answer, 1);
    assert.deepEqual(
      r.dialogs.map((d: any) => [d.chatId, d.rule, d.outcome]),
      [[chatId, 'no_operator_answer', 'would_close']],
    );
    assert.equal(s.totals.closed_no_answer, 1);
    assert.ok(p.emu.state.chats.get(chatId)!.activeSessionId !== null, 'still open');
  });
});
