import type { AppContext, Feature } from '../app-context.ts';
import { JobRepository } from '../db/repositories/jobs.ts';
import { JobRunner, type JobRunnerOptions } from './runner.ts';
import { type CronFactory, JobScheduler } from './scheduler.ts';

export interface JobsFeatureOptions {
  /** Run the schedules from ctx.start(). Default: the context's `scheduleJobs` (off in tests). */
  schedule?: boolean;
  cron?: CronFactory;
  runner?: Pick<JobRunnerOptions, 'leaseMs' | 'concurrency' | 'retentionMs'>;
}

/** The services this feature shares through ctx.services. */
export interface JobServices {
  jobRunner: JobRunner;
  jobScheduler: JobScheduler;
  jobRepository: JobRepository;
}

/**
 * The job machinery: the runner (ctx.services.jobRunner) that the CLI and the dashboard call,
 * and the schedules the server runs. Jobs themselves are registered by other features in
 * ctx.jobs, before or after this one: both read the registry when they run.
 */
export function createJobsFeature(o: JobsFeatureOptions = {}): Feature {
  return {
    name: 'jobs',
    register(ctx) {
      const jobRepository = new JobRepository(ctx.db);
      const jobRunner = new JobRunner({
        repo: jobRepository,
        store: ctx.store,
        clients: ctx.clients,
        jobs: ctx.jobs,
        log: ctx.log,
        clock: ctx.clock,
        ...o.runner,
      });
      const jobScheduler = new JobScheduler({
        runner: jobRunner,
        schedules: ctx.config.schedules,
        log: ctx.log,
        cron: o.cron,
      });
      Object.assign(ctx.services, { jobRunner, jobScheduler, jobRepository } satisfies JobServices);
      ctx.lifecycle.start.push(() => {
        if (o.schedule ?? ctx.scheduleJobs) jobScheduler.start();
      });
      ctx.lifecycle.stop.push(() => jobScheduler.stop());
    },
  };
}

export const jobsFeature: Feature = createJobsFeature();

/** The context's runner, or one built from its pieces when the jobs feature is not loaded. */
export function runnerFor(ctx: AppContext): JobRunner {
  const shared = ctx.services.jobRunner;
  if (shared instanceof JobRunner) return shared;
  return new JobRunner({
    repo: new JobRepository(ctx.db),
    store: ctx.store,
    clients: ctx.clients,
    jobs: ctx.jobs,
    log: ctx.log,
    clock: ctx.clock,
  });
}
