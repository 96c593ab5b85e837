import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { JobRepository } from '../db/repositories/jobs.ts';
import { AppError, ErrorCode, PortalError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { ClientFactory } from '../portal/client-pool.ts';
import type { Installation, InstallationStore } from '../portal/installation.ts';
import { UnknownJobError, UnknownPortalError } from './errors.ts';
import {
  type JobSummary,
  type PortalOutcome,
  type PortalRunStatus,
  runStatus,
  sumTotals,
} from './summary.ts';
import { JOB_NAMES, type JobResult, type PortalJob } from './types.ts';
import { withRestClass } from '../portal/rest-priority.ts';

export interface JobRunnerOptions {
  repo: JobRepository;
  store: Pick<InstallationStore, 'find' | 'listActive'>;
  clients: ClientFactory;
  /** the registry features fill (ctx.jobs); read at every run, so jobs registered later count */
  jobs: ReadonlyMap<string, PortalJob>;
  log: Logger;
  clock?: () => number;
  /** how long a lease lasts without a heartbeat: a crashed run blocks the job this long at most */
  leaseMs?: number;
  /** portals run at once; each portal's REST use is bounded by its own client's token bucket */
  concurrency?: number;
  /** journal rows older than this are deleted after each run */
  retentionMs?: number;
}

export interface RunOptions {
  /** only this portal (member_id); it must be installed */
  portal?: string;
  /** the instant time rules are evaluated at, unix ms; defaults to the clock */
  now?: number;
  /** report what would change, change nothing */
  dryRun?: boolean;
  /** aborting stops the run from starting more portals (shutdown) */
  signal?: AbortSignal;
}

const DAY = 86_400_000;

/**
 * Runs one maintenance job over every active portal (or one), under the machinery every job
 * shares: one run at a time per job across processes (a lease row with an expiry, kept
 * alive by a heartbeat), each portal isolated from the others' failures, a journal row per
 * portal, and one summary.
 */
export class JobRunner {
  private readonly clock: () => number;
  private readonly leaseMs: number;
  private readonly concurrency: number;
  private readonly retentionMs: number;

  constructor(private readonly o: JobRunnerOptions) {
    this.clock = o.clock ?? Date.now;
    this.leaseMs = o.leaseMs ?? 60_000;
    this.concurrency = Math.max(1, o.concurrency ?? 4);
    this.retentionMs = o.retentionMs ?? 14 * DAY;
  }

  /** The jobs that can be run, in registration order. */
  names(): string[] {
    return [...this.o.jobs.keys()];
  }

  /**
   * Runs `name` once. Throws UnknownJobError / UnknownPortalError (nothing ran) for bad
   * arguments; everything that goes wrong once the run started ends up in the summary.
   */
  async run(name: string, opts: RunOptions = {}): Promise<JobSummary> {
    const job = this.o.jobs.get(name);
    if (!job) throw new UnknownJobError(name, this.names(), (JOB_NAMES as readonly string[]).includes(name));
    const now = opts.now ?? this.clock();
    if (!Number.isFinite(now) || Number.isNaN(new Date(now).getTime())) {
      throw new AppError(ErrorCode.InvalidInput, `"now" must be a valid instant, got ${opts.now}`, 400);
    }
    let only: Installation | undefined;
    if (opts.portal !== undefined) {
      only = await this.o.store.find(opts.portal);
      if (only?.status !== 'active') throw new UnknownPortalError(opts.portal);
    }
    const dryRun = opts.dryRun === true;
    const runId = `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`;
    const log = this.o.log.child({ job: name, runId, dryRun });
    const startedAt = this.clock();
    // Key order is the summary line's: what ran and how it went first, then the details.
    const summarize = (status: JobSummary['status'], rest: Partial<JobSummary> = {}): JobSummary => ({
      job: name,
      status,
      dryRun,
      now: iso(now),
      startedAt: iso(startedAt),
      finishedAt: iso(this.clock()),
      portals: {},
      totals: {},
      runId,
      ...rest,
    });

    const got = await this.o.repo.acquireLease(name, runId, startedAt, this.leaseMs);
    if (!got.acquired) {
      const heldBy = got.lease && { holder: got.lease.holder, expiresAt: iso(got.lease.expiresAt) };
      log.info({ heldBy }, 'job skipped: another run holds its lease');
      await this.o.repo
        .recordRun({
          job: name,
          memberId: opts.portal ?? null,
          runId,
          startedAt,
          finishedAt: this.clock(),
          status: 'skipped',
          dryRun,
          summary: { skipped: 'lease held', heldBy },
        })
        .catch((err) => log.warn({ err }, 'could not journal the skipped run'));
      return summarize('skipped', heldBy ? { heldBy } : {});
    }
    if (got.closedRuns > 0) {
      log.warn(
        { closedRuns: got.closedRuns },
        'took over the lease of a run that died; its open rows closed',
      );
    }

    // Aborted on shutdown or when the lease is lost: no new portal starts after that.
    const stop = new AbortController();
    const onAbort = () => stop.abort(opts.signal?.reason ?? new Error('run stopped'));
    if (opts.signal?.aborted) onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    const heartbeat = setInterval(
      () => {
        this.o.repo.renewLease(name, runId, this.clock(), this.leaseMs).then(
          (still) => {
            if (still || stop.signal.aborted || finished) return;
            log.error('job lost its lease (it stalled past the expiry); no further portals are started');
            stop.abort(new Error('lease lost'));
          },
          (err) => log.warn({ err }, 'lease renewal failed; will retry'),
        );
      },
      Math.max(20, Math.floor(this.leaseMs / 3)),
    );
    heartbeat.unref();

    const portals: Record<string, PortalOutcome> = {};
    const statuses: PortalRunStatus[] = [];
    const results: JobResult[] = [];
    let error: string | undefined;
    try {
      const targets = only ? [only] : await this.o.store.listActive();
      log.info({ portals: targets.length }, 'job started');
      let next = 0;
      const lane = async () => {
        while (next < targets.length) {
          const memberId = targets[next++].memberId;
          const r = await this.runPortal(name, job, memberId, {
            runId,
            now,
            dryRun,
            log,
            signal: stop.signal,
          });
          portals[memberId] = r.outcome;
          statuses.push(r.status);
          if (r.status === 'ok') results.push(r.outcome as JobResult);
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.concurrency, targets.length) }, lane));
    } catch (err) {
      // Only the portal list itself can fail here: runPortal never throws.
      error = describe(err);
      log.error({ error }, 'job failed before reaching the portals');
      await this.o.repo
        .recordRun({
          job: name,
          memberId: null,
          runId,
          startedAt,
          finishedAt: this.clock(),
          status: 'failed',
          dryRun,
          summary: { error },
        })
        .catch(() => undefined);
    } finally {
      // A renewal still in flight would find the lease gone and cry "lost": it is not.
      finished = true;
      clearInterval(heartbeat);
      opts.signal?.removeEventListener('abort', onAbort);
      await this.o.repo
        .releaseLease(name, runId)
        .catch((err) => log.warn({ err }, 'could not release the lease; it expires on its own'));
    }
    await this.o.repo
      .pruneRuns(this.clock() - this.retentionMs)
      .catch((err) => log.warn({ err }, 'could not prune old journal rows'));

    const summary = summarize(error ? 'failed' : runStatus(statuses), {
      portals,
      totals: sumTotals(results),
      ...(error ? { error } : {}),
    });
    log.info({ status: summary.status, totals: summary.totals }, 'job finished');
    return summary;
  }

  /** One portal's run, journaled; never throws, so one portal cannot stop the others. */
  private async runPortal(
    name: string,
    job: PortalJob,
    memberId: string,
    r: { runId: string; now: number; dryRun: boolean; log: Logger; signal: AbortSignal },
  ): Promise<{ status: PortalRunStatus; outcome: PortalOutcome }> {
    const log = r.log.child({ memberId });
    const row = { job: name, memberId, runId: r.runId, dryRun: r.dryRun };
    if (r.signal.aborted) {
      const outcome = { skipped: `not started: ${describe(r.signal.reason)}` };
      await this.o.repo
        .recordRun({
          ...row,
          startedAt: this.clock(),
          finishedAt: this.clock(),
          status: 'skipped',
          summary: outcome,
        })
        .catch((err) => log.warn({ err }, 'could not journal the skipped portal'));
      return { status: 'skipped', outcome };
    }
    let id: number | undefined;
    let status: PortalRunStatus;
    let outcome: PortalOutcome;
    try {
      id = await this.o.repo.startRun({ ...row, startedAt: this.clock() });
      const client = await this.o.clients.get(memberId);
      const rowId = id;
      // Jobs are background: they slow down rather than take the budget from the rest (rest-priority.ts).
      const result = await withRestClass('background', () =>
        job.runForPortal({
          memberId,
          client,
          now: r.now,
          dryRun: r.dryRun,
          log,
          signal: r.signal,
          progress: progressWriter(this.clock, (done) =>
            this.o.repo
              .progress(rowId, { progress: toJson(done) })
              .catch((err) => log.warn({ err }, 'could not journal the run progress')),
          ),
        }),
      );
      outcome = toJson(result ?? {});
      status = 'ok';
    } catch (err) {
      outcome = { error: describe(err) };
      status = 'failed';
      log.error({ error: outcome.error }, 'job failed on this portal; the others go on');
    }
    if (id !== undefined) {
      await this.o.repo
        .finishRun(id, status, this.clock(), outcome)
        .catch((err) => log.warn({ err }, 'could not journal the portal run'));
    }
    return { status, outcome };
  }
}

/** A progress callback that writes at most once a second (the latest report wins). */
function progressWriter(clock: () => number, write: (done: JobResult) => unknown): (done: JobResult) => void {
  let last = Number.NEGATIVE_INFINITY;
  return (done) => {
    const now = clock();
    if (now - last < 1000) return;
    last = now;
    void write({ ...done, at: iso(now) });
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** The result as it will read back from JSON, so the summary and the journal agree. */
function toJson(result: JobResult): JobResult {
  try {
    return JSON.parse(JSON.stringify(result));
  } catch (err) {
    throw new AppError(ErrorCode.InvalidInput, `job result is not JSON: ${describe(err)}`, 500);
  }
}

function describe(err: unknown): string {
  if (err instanceof PortalError)
    return `${err.code}: ${err.b24Error} ${err.message}${err.method ? ` (${err.method})` : ''}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
