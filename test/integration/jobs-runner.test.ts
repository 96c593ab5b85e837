import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { INTERRUPTED, JobRepository } from '../../src/db/repositories/jobs.ts';
import { SqliteInstallationStore } from '../../src/db/repositories/installations.ts';
import { UnknownJobError, UnknownPortalError } from '../../src/jobs/errors.ts';
import { JobRunner, type JobRunnerOptions } from '../../src/jobs/runner.ts';
import type { JobContext, JobName, JobResult, PortalJob } from '../../src/jobs/types.ts';
import { startTestApp, type TestApp, waitFor } from '../helpers/context.ts';
import { seedInstallation } from '../helpers/portal.ts';
import { openStoreOf, storeEnvOf } from '../helpers/store.ts';

/** A job that records every call and, when gated, blocks until the test opens the gate. */
function fakeJob(
  name: JobName,
  o: { gated?: boolean; failFor?: string[]; result?: (j: JobContext) => JobResult } = {},
) {
  const calls: JobContext[] = [];
  let open!: () => void;
  const gate = new Promise<void>((r) => {
    open = r;
  });
  let entered!: () => void;
  const started = new Promise<void>((r) => {
    entered = r;
  });
  const job: PortalJob = {
    name,
    async runForPortal(j) {
      calls.push(j);
      entered();
      if (o.gated) await gate;
      if (o.failFor?.includes(j.memberId)) throw new Error(`portal ${j.memberId} is down`);
      return o.result ? o.result(j) : { touched: 1, memberSeen: j.memberId };
    },
  };
  return { job, calls, open, started };
}

describe('JobRunner', () => {
  let app: TestApp;
  let repo: JobRepository;
  const jobs = new Map<string, PortalJob>();
  const runner = (o: Partial<JobRunnerOptions> = {}) =>
    new JobRunner({
      repo,
      store: app.ctx.store,
      clients: app.ctx.clients,
      jobs,
      log: app.ctx.log,
      clock: app.ctx.clock,
      ...o,
    });

  before(async () => {
    app = await startTestApp({ start: false, features: [] });
    repo = new JobRepository(app.ctx.db);
  });
  after(() => app.close());
  beforeEach(async () => {
    jobs.clear();
    for (const i of await app.ctx.store.listActive())
      await app.ctx.store.markUninstalled(i.memberId, new Date());
    await app.ctx.db.run('DELETE FROM job_leases');
  });

  async function portals(...ids: string[]) {
    for (const id of ids) await seedInstallation(app.ctx, { memberId: id, applicationToken: `tok-${id}` });
  }

  test('with no portal installed a run succeeds with an empty summary', async () => {
    const f = fakeJob('sync');
    jobs.set('sync', f.job);
    const s = await runner().run('sync');
    assert.equal(s.job, 'sync');
    assert.equal(s.status, 'ok');
    assert.equal(s.dryRun, false);
    assert.deepEqual(s.portals, {});
    assert.deepEqual(s.totals, {});
    assert.equal(f.calls.length, 0);
    assert.ok(!Number.isNaN(Date.parse(s.startedAt)) && !Number.isNaN(Date.parse(s.finishedAt)));
    assert.equal(await repo.getLease('sync'), undefined, 'the lease is released');
  });

  test("one portal's failure is journaled and the others still run", async () => {
    await portals('p-a', 'p-b', 'p-c');
    const f = fakeJob('pass-on', { failFor: ['p-b'] });
    jobs.set('pass-on', f.job);
    const s = await runner({ concurrency: 1 }).run('pass-on');
    assert.equal(s.status, 'partial');
    assert.deepEqual(f.calls.map((c) => c.memberId).sort(), ['p-a', 'p-b', 'p-c']);
    assert.deepEqual(s.portals['p-a'], { touched: 1, memberSeen: 'p-a' });
    assert.match(String((s.portals['p-b'] as { error: string }).error), /portal p-b is down/);
    assert.deepEqual(s.totals, { touched: 2 });

    const rows = await repo.recentRuns({ job: 'pass-on' });
    assert.equal(rows.length, 3, 'one journal row per portal');
    assert.ok(rows.every((r) => r.runId === s.runId && r.finishedAt !== null && !r.dryRun));
    const byPortal = Object.fromEntries(rows.map((r) => [r.memberId, r]));
    assert.equal(byPortal['p-a'].status, 'ok');
    assert.deepEqual(byPortal['p-a'].summary, { touched: 1, memberSeen: 'p-a' });
    assert.equal(byPortal['p-b'].status, 'failed');
    assert.match(String((byPortal['p-b'].summary as { error: string }).error), /portal p-b is down/);
    assert.equal(byPortal['p-c'].status, 'ok');
    assert.deepEqual(
      (await repo.recentRuns({ memberId: 'p-b', job: 'pass-on' })).map((r) => r.status),
      ['failed'],
    );
  });

  test('when every portal fails the run is failed', async () => {
    await portals('p-a', 'p-b');
    jobs.set('close-idle', fakeJob('close-idle', { failFor: ['p-a', 'p-b'] }).job);
    const s = await runner().run('close-idle');
    assert.equal(s.status, 'failed');
    assert.deepEqual(Object.keys(s.portals).sort(), ['p-a', 'p-b']);
  });

  test('two processes on one database: the work is done once, the other run is skipped', async () => {
    await portals('p-a');
    const f = fakeJob('sync', { gated: true });
    jobs.set('sync', f.job);
    // The second "process": its own connection, store and runner.
    const db2 = await openStoreOf(storeEnvOf(app.ctx.config));
    try {
      const other = new JobRunner({
        repo: new JobRepository(db2),
        store: new SqliteInstallationStore(db2),
        clients: app.ctx.clients,
        jobs,
        log: app.ctx.log,
      });
      const runs = [runner().run('sync'), other.run('sync')];
      // The job blocks until the gate opens, so whichever run ends first found the lease held.
      const first = await Promise.race(runs);
      assert.equal(first.status, 'skipped');
      f.open();
      const [x, y] = await Promise.all(runs);
      const done = x.status === 'ok' ? x : y;
      assert.deepEqual([x.status, y.status].sort(), ['ok', 'skipped']);
      assert.equal(f.calls.length, 1, 'the job ran once');
      assert.equal(first.heldBy?.holder, done.runId, 'the skipped run names who holds the lease');
      assert.deepEqual(first.portals, {});

      const rows = await repo.recentRuns({ job: 'sync' });
      assert.deepEqual(rows.map((r) => r.status).sort(), ['ok', 'skipped']);
    } finally {
      await db2.close();
    }
  });

  test('a lease held by a live run makes this one skipped, and it is left with its holder', async () => {
    await portals('p-a');
    const f = fakeJob('sync');
    jobs.set('sync', f.job);
    const now = app.ctx.clock();
    await repo.acquireLease('sync', 'other-host:42:abc', now, 60_000);
    const s = await runner().run('sync');
    assert.equal(s.status, 'skipped');
    assert.equal(s.heldBy?.holder, 'other-host:42:abc');
    assert.equal(f.calls.length, 0);
    assert.equal((await repo.getLease('sync'))?.holder, 'other-host:42:abc');
    const [row] = await repo.recentRuns({ job: 'sync' });
    assert.equal(row.status, 'skipped');
  });

  test('an expired lease (its process died) is taken over, and the dead run is closed', async () => {
    await portals('p-a');
    const f = fakeJob('reclaim-departed');
    jobs.set('reclaim-departed', f.job);
    const now = app.ctx.clock();
    await repo.acquireLease('reclaim-departed', 'crashed:1:dead', now - 120_000, 60_000);
    const dead = await repo.startRun({
      job: 'reclaim-departed',
      memberId: 'p-a',
      runId: 'crashed:1:dead',
      startedAt: now - 120_000,
      dryRun: false,
    });
    const s = await runner().run('reclaim-departed');
    assert.equal(s.status, 'ok');
    assert.equal(f.calls.length, 1);
    const rows = await repo.recentRuns({ job: 'reclaim-departed' });
    const deadRow = rows.find((r) => r.id === dead);
    assert.equal(deadRow?.status, 'failed');
    assert.deepEqual(deadRow?.summary, INTERRUPTED);
    assert.equal(rows.find((r) => r.runId === s.runId)?.status, 'ok');
    assert.equal(await repo.getLease('reclaim-departed'), undefined);
  });

  test('--now and --dry-run reach the job, the summary and the journal', async () => {
    await portals('p-a');
    const f = fakeJob('close-idle', { result: (j) => ({ wouldClose: j.dryRun ? 3 : 0, at: j.now }) });
    jobs.set('close-idle', f.job);
    const at = Date.UTC(2030, 0, 15, 12, 0, 0);
    const s = await runner().run('close-idle', { now: at, dryRun: true });
    assert.equal(f.calls[0].now, at);
    assert.equal(f.calls[0].dryRun, true);
    assert.equal(s.now, '2030-01-15T12:00:00.000Z');
    assert.equal(s.dryRun, true);
    assert.deepEqual(s.totals, { wouldClose: 3, at });
    const [row] = await repo.recentRuns({ job: 'close-idle' });
    assert.equal(row.dryRun, true);

    const plain = await runner().run('close-idle');
    assert.equal(f.calls[1].dryRun, false);
    assert.ok(Math.abs(f.calls[1].now - Date.now()) < 60_000, 'without --now, the clock');
    assert.equal(plain.dryRun, false);
  });

  test('--portal runs one portal; an unknown or uninstalled portal is refused before anything runs', async () => {
    await portals('p-a', 'p-b');
    const f = fakeJob('sync');
    jobs.set('sync', f.job);
    const s = await runner().run('sync', { portal: 'p-b' });
    assert.deepEqual(Object.keys(s.portals), ['p-b']);
    assert.deepEqual(
      f.calls.map((c) => c.memberId),
      ['p-b'],
    );
    await assert.rejects(runner().run('sync', { portal: 'p-nobody' }), UnknownPortalError);
    await app.ctx.store.markUninstalled('p-a', new Date());
    await assert.rejects(runner().run('sync', { portal: 'p-a' }), /not installed/);
    assert.equal(f.calls.length, 1);
    assert.equal(await repo.getLease('sync'), undefined);
  });

  test('an unknown job is refused with the valid names', async () => {
    jobs.set('sync', fakeJob('sync').job);
    jobs.set('offline-events', fakeJob('offline-events').job);
    await assert.rejects(
      runner().run('defrag'),
      (err: unknown) =>
        err instanceof UnknownJobError &&
        /unknown job "defrag"; valid jobs: sync, offline-events/.test(err.message),
    );
    await assert.rejects(runner().run('close-idle'), /"close-idle" is not available.*sync, offline-events/);
  });

  test('the heartbeat keeps the lease; a lost lease stops new portals and is not released', async () => {
    await portals('p-a', 'p-b');
    const f = fakeJob('sync', { gated: true });
    jobs.set('sync', f.job);
    let t = 1_000_000;
    const r = runner({ clock: () => t, leaseMs: 60, concurrency: 1 });
    const run = r.run('sync');
    await f.started;
    assert.equal((await repo.getLease('sync'))?.expiresAt, 1_000_060);
    t = 2_000_000;
    await waitFor(async () => (await repo.getLease('sync'))?.expiresAt === 2_000_060, 'heartbeat renewal');

    await app.ctx.db.run("UPDATE job_leases SET holder = 'thief' WHERE name = 'sync'");
    await waitFor(() => f.calls[0].signal?.aborted, 'the job is told to stop');
    f.open();
    const s = await run;
    assert.equal(f.calls.length, 1, 'the second portal was not started');
    assert.equal(s.status, 'partial');
    assert.match(String((s.portals['p-b'] as { skipped: string }).skipped), /lease lost/);
    assert.equal((await repo.getLease('sync'))?.holder, 'thief', "the thief's lease is not released");
    const rows = await repo.recentRuns({ job: 'sync', memberId: 'p-b' });
    assert.equal(rows.find((row) => row.runId === s.runId)?.status, 'skipped');
  });

  test('an aborted signal (shutdown) stops the run from starting portals', async () => {
    await portals('p-a');
    const f = fakeJob('sync');
    jobs.set('sync', f.job);
    const ac = new AbortController();
    ac.abort(new Error('shutting down'));
    const s = await runner().run('sync', { signal: ac.signal });
    assert.equal(f.calls.length, 0);
    assert.equal(s.status, 'skipped');
    assert.match(String((s.portals['p-a'] as { skipped: string }).skipped), /shutting down/);
  });
});
