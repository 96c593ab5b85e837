import type { Logger } from '../log/logger.ts';
import type { PortalClient } from '../portal/client.ts';

export const JOB_NAMES = ['sync', 'pass-on', 'reclaim-departed', 'close-idle', 'offline-events'] as const;
export type JobName = (typeof JOB_NAMES)[number];

export interface JobContext {
  memberId: string;
  client: PortalClient;
  /** the moment every time rule is evaluated at (`--now`), unix ms */
  now: number;
  /** report what would change, change nothing */
  dryRun: boolean;
  log: Logger;
  /**
   * Aborted when the run must stop starting new work: the process is shutting down, or the
   * run lost its lease (it stalled past the expiry and another process took over). A job
   * with long loops checks it between steps; what it already did stays done.
   */
  signal?: AbortSignal;
  /**
   * Reports what a long run has done so far: written to the run's journal row (its summary
   * while it is still 'running'), at most once a second, so a run that takes long is seen going.
   */
  progress?(done: JobResult): void;
}

/** Counts and notes of one portal's run, merged into the job's JSON summary line. */
export type JobResult = Record<string, number | string | boolean | unknown[]>;

/** A maintenance job, run per portal by the job runner (lease, journal, schedule, CLI). */
export interface PortalJob {
  name: JobName;
  runForPortal(ctx: JobContext): Promise<JobResult>;
}
