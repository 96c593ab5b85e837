import { createTask, validate } from 'node-cron';
import type { Logger } from '../log/logger.ts';
import type { RunOptions } from './runner.ts';
import type { JobSummary } from './summary.ts';

/** A started schedule; the scheduler only ever stops it. */
export interface CronTask {
  stop(): void | Promise<void>;
}

/** Calls `tick` on every match of `expression` until stopped. */
export type CronFactory = (expression: string, tick: () => void, name: string) => CronTask;

/**
 * node-cron v4: create, then start. The tick returns at once (the run goes on in the
 * background), so node-cron reports every match and the scheduler alone decides about overlap.
 */
export const nodeCronFactory: CronFactory = (expression, tick, name) => {
  const task = createTask(expression, tick, { name: `job:${name}` });
  void task.start();
  return {
    async stop() {
      await task.stop();
      await task.destroy();
    },
  };
};

export interface JobSchedulerOptions {
  runner: { run(name: string, opts?: RunOptions): Promise<JobSummary>; names(): string[] };
  /** cron expression per job name (config.schedules); a registered job without one is not scheduled */
  schedules: Readonly<Record<string, string>>;
  log: Logger;
  cron?: CronFactory;
}

/**
 * Runs every registered job on its cron schedule in this process. A tick that comes while
 * the same job's previous run is still going never starts a second one (the job's lease does
 * the same across processes); it is kept as one catch-up run right after.
 */
export class JobScheduler {
  private readonly cron: CronFactory;
  private readonly tasks = new Map<string, CronTask>();
  private readonly running = new Map<string, Promise<JobSummary>>();
  /** jobs whose tick came while their run was going: one catch-up run follows */
  private readonly missed = new Set<string>();
  private stopping = new AbortController();

  constructor(private readonly o: JobSchedulerOptions) {
    this.cron = o.cron ?? nodeCronFactory;
  }

  /**
   * Schedules every job the runner knows that has an expression. Throws, naming the job and
   * the expression, if one is not a cron expression node-cron accepts.
   */
  start(): void {
    if (this.tasks.size > 0) return;
    this.stopping = new AbortController();
    const plan: [string, string][] = [];
    for (const name of this.o.runner.names()) {
      const expr = this.o.schedules[name];
      if (!expr) {
        this.o.log.warn({ job: name }, 'job has no schedule; it runs only from the CLI');
        continue;
      }
      if (!validate(expr)) {
        const variable = `SCHEDULE_${name.toUpperCase().replace(/-/g, '_')}`;
        throw new Error(`schedule of job "${name}" (${variable}) is not a valid cron expression: ${expr}`);
      }
      plan.push([name, expr]);
    }
    for (const [name, expr] of plan)
      this.tasks.set(
        name,
        this.cron(expr, () => void this.tick(name), name),
      );
    this.o.log.info({ schedules: Object.fromEntries(plan) }, 'job schedules started');
  }

  /** Stops the schedules, asks running jobs to stop starting portals, and waits for them. */
  async stop(): Promise<void> {
    const tasks = [...this.tasks.values()];
    this.tasks.clear();
    await Promise.all(tasks.map((t) => t.stop()));
    this.stopping.abort(new Error('shutting down'));
    await Promise.allSettled(this.running.values());
  }

  /** Whether a run of `name` started by this scheduler is still going. */
  isRunning(name: string): boolean {
    return this.running.has(name);
  }

  /**
   * One schedule tick of `name`: starts a run unless the previous one is still going. Ticks
   * that come while it runs are not lost: they add up to one catch-up run that starts as soon
   * as it ends, so a job that overruns its interval runs back to back instead of skipping ticks
   * for as long as it keeps overrunning. Never rejects (a cron callback has nobody to report
   * to); the outcome is logged.
   */
  async tick(name: string): Promise<void> {
    if (this.running.has(name)) {
      if (!this.missed.has(name))
        this.o.log.info({ job: name }, 'previous run still going; one more run follows it at once');
      this.missed.add(name);
      return;
    }
    const run = this.o.runner.run(name, { signal: this.stopping.signal });
    this.running.set(name, run);
    try {
      const s = await run;
      const level = s.status === 'ok' || s.status === 'skipped' ? 'debug' : 'warn';
      this.o.log[level]({ job: name, status: s.status, totals: s.totals }, 'scheduled job run finished');
    } catch (err) {
      this.o.log.error({ job: name, err }, 'scheduled job run failed');
    } finally {
      this.running.delete(name);
    }
    if (this.missed.delete(name) && this.tasks.has(name) && !this.stopping.signal.aborted) {
      await this.tick(name);
    }
  }
}
