import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { getTasks } from 'node-cron';
import type { Feature } from '../../src/context.ts';
import { JobRepository } from '../../src/db/repositories/jobs.ts';
import { createJobsFeature, type JobServices } from '../../src/jobs/feature.ts';
import { JobRunner } from '../../src/jobs/runner.ts';
import { type CronFactory, JobScheduler, nodeCronFactory } from '../../src/jobs/scheduler.ts';
import type { JobName, PortalJob } from '../../src/jobs/types.ts';
import { startTestApp, type TestApp, waitFor } from '../helpers/context.ts';
import { seedInstallation } from '../helpers/portal.ts';

/** A job that blocks until released: a run that overruns its interval. */
function blockingJob(name: JobName) {
  let calls = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const job: PortalJob = {
    name,
    async runForPortal() {
      calls++;
      await gate;
      return { done: 1 };
    },
  };
  return { job, calls: () => calls, release };
}

/** Cron that ticks only when the test says so. */
function manualCron() {
  const ticks = new Map<string, () => void>();
  const made: [string, string][] = [];
  let stopped = 0;
  const factory: CronFactory = (expr, tick, name) => {
    made.push([name, expr]);
    ticks.set(name, tick);
    return {
      stop() {
        stopped++;
        ticks.delete(name);
      },
    };
  };
  return { factory, ticks, made, stopped: () => stopped };
}

describe('JobScheduler', () => {
  let app: TestApp;
  const jobs = new Map<string, PortalJob>();
  let runner: JobRunner;

  before(async () => {
    app = await startTestApp({ start: false, features: [] });
    await seedInstallation(app.ctx, { memberId: 'p-a' });
    runner = new JobRunner({
      repo: new JobRepository(app.ctx.db),
      store: app.ctx.store,
      clients: app.ctx.clients,
      jobs,
      log: app.ctx.log,
    });
  });
  after(() => app.close());
  beforeEach(() => jobs.clear());

  test('a tick while the previous run is still going does not start the job again; one catch-up run follows', async () => {
    const b = blockingJob('pass-on');
    jobs.set('pass-on', b.job);
    const cron = manualCron();
    const s = new JobScheduler({
      runner,
      schedules: { 'pass-on': '*/15 * * * * *' },
      log: app.ctx.log,
      cron: cron.factory,
    });
    s.start();
    const tick = cron.ticks.get('pass-on')!;
    tick();
    await waitFor(() => b.calls() === 1, 'first run started');
    for (let i = 0; i < 5; i++) tick();
    await new Promise((r) => setImmediate(r));
    assert.equal(b.calls(), 1, 'overlapping ticks start nothing');
    assert.equal(s.isRunning('pass-on'), true);
    b.release();
    // The five ticks it overran are not lost: they make one run, at once, not five.
    await waitFor(() => b.calls() === 2, 'one catch-up run right after it finished');
    await waitFor(() => !s.isRunning('pass-on'), 'catch-up run finished');
    assert.equal(b.calls(), 2, 'the missed ticks made one run');
    tick();
    await waitFor(() => b.calls() === 3, 'the next tick after it finished runs again');
    await s.stop();
  });

  test('every registered job with a schedule is scheduled with its expression; stop stops them', async () => {
    for (const n of ['sync', 'close-idle', 'offline-events'] as const) jobs.set(n, blockingJob(n).job);
    const cron = manualCron();
    const s = new JobScheduler({
      runner,
      schedules: { sync: '*/1 * * * *', 'close-idle': '5 * * * *', 'pass-on': '*/15 * * * * *' },
      log: app.ctx.log,
      cron: cron.factory,
    });
    s.start();
    assert.deepEqual(cron.made, [
      ['sync', '*/1 * * * *'],
      ['close-idle', '5 * * * *'],
    ]);
    s.start();
    assert.equal(cron.made.length, 2, 'starting twice schedules once');
    await s.stop();
    assert.equal(cron.stopped(), 2);
  });

  test('an invalid expression is refused, naming the job, and nothing is scheduled', () => {
    jobs.set('sync', blockingJob('sync').job);
    jobs.set('close-idle', blockingJob('close-idle').job);
    const cron = manualCron();
    const s = new JobScheduler({
      runner,
      schedules: { sync: '*/1 * * * *', 'close-idle': '99 * * * *' },
      log: app.ctx.log,
      cron: cron.factory,
    });
    assert.throws(() => s.start(), /"close-idle" \(SCHEDULE_CLOSE_IDLE\).*99 \* \* \* \*/);
    assert.equal(cron.made.length, 0);
  });

  test('with real node-cron, an overrunning job is started once however many ticks pass', async () => {
    const b = blockingJob('sync');
    jobs.set('sync', b.job);
    let ticks = 0;
    const counting: CronFactory = (expr, tick, name) =>
      nodeCronFactory(
        expr,
        () => {
          ticks++;
          tick();
        },
        name,
      );
    const s = new JobScheduler({
      runner,
      schedules: { sync: '* * * * * *' },
      log: app.ctx.log,
      cron: counting,
    });
    s.start();
    try {
      await waitFor(() => ticks >= 3, 'three cron ticks');
      assert.equal(b.calls(), 1);
    } finally {
      b.release();
      await s.stop();
    }
    assert.equal([...getTasks().values()].filter((t) => t.name === 'job:sync').length, 0, 'task destroyed');
  });

  test('stop waits for the running job and stops it from starting more portals', async () => {
    await seedInstallation(app.ctx, { memberId: 'p-b', applicationToken: 'tok-b' });
    const b = blockingJob('sync');
    jobs.set('sync', b.job);
    const cron = manualCron();
    const r1 = new JobRunner({
      repo: new JobRepository(app.ctx.db),
      store: app.ctx.store,
      clients: app.ctx.clients,
      jobs,
      log: app.ctx.log,
      concurrency: 1,
    });
    const s = new JobScheduler({
      runner: r1,
      schedules: { sync: '* * * * *' },
      log: app.ctx.log,
      cron: cron.factory,
    });
    s.start();
    cron.ticks.get('sync')!();
    await waitFor(() => b.calls() === 1, 'run started');
    const stopped = s.stop();
    b.release();
    await stopped;
    assert.equal(s.isRunning('sync'), false);
    assert.equal(b.calls(), 1, 'the second portal was not started after stop');
    await app.ctx.store.markUninstalled('p-b', new Date());
  });
});

describe('jobs feature', () => {
  const registerSync: Feature = {
    name: 'fake-sync',
    register(ctx) {
      ctx.jobs.set('sync', blockingJob('sync').job);
    },
  };

  test('shares the runner; ctx.start() under the test runner schedules nothing', async () => {
    const cron = manualCron();
    const app = await startTestApp({ features: [createJobsFeature({ cron: cron.factory }), registerSync] });
    try {
      const services = app.ctx.services as unknown as JobServices;
      assert.ok(services.jobRunner instanceof JobRunner);
      assert.deepEqual(services.jobRunner.names(), ['sync'], 'jobs registered after it count');
      assert.equal(cron.made.length, 0);
    } finally {
      await app.close();
    }
  });

  test('with schedule: true, ctx.start() schedules every registered job and ctx.stop() stops them', async () => {
    const cron = manualCron();
    const app = await startTestApp({
      env: { SCHEDULE_SYNC: '*/7 * * * *' },
      features: [createJobsFeature({ schedule: true, cron: cron.factory }), registerSync],
    });
    assert.deepEqual(cron.made, [['sync', '*/7 * * * *']]);
    await app.close();
    assert.equal(cron.stopped(), 1);
  });
});
