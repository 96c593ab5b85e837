import { type InboxRepository, type InboxRow, laneKey, laneOf } from '../db/repositories/inbox.ts';
import { AppError, ErrorCode, PortalError, RetryLaterError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import type { ClientFactory } from '../portal/client-pool.ts';
import type { EventRouter } from './router.ts';

export interface WorkerOptions {
  repo: InboxRepository;
  router: EventRouter;
  clients: ClientFactory;
  log: Logger;
  clock?: () => number;
  /** objects processed at once (each object's events stay sequential) */
  concurrency?: number;
  /**
   * handlers one portal may hold at once (default: all but 4). A portal with a backlog (an
   * import of thousands of leads, each waiting on its own 2 requests a second) keeps the rest
   * free, so another portal's new dialog starts at once instead of after the backlog.
   */
  perPortal?: number;
  /** how long a claimed row stays ours without a heartbeat; a crashed process's rows come back after it */
  leaseMs?: number;
  /** attempts before a row is dead-lettered */
  maxAttempts?: number;
  /** first retry delay; doubles per attempt up to maxBackoffMs */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** wakes within this many ms are merged into one claim */
  coalesceMs?: number;
}

/** how often the worker looks again while handlers run or rows are held back (see run()) */
const BLOCKED_POLL_MS = 50;

/**
 * Drains the inbox: claims due rows, runs their handlers, and records the outcome.
 * Portal trouble (rate limits, 5xx, network) is retried with exponential backoff; after
 * `maxAttempts`, or at once for errors no retry can fix, the row is dead-lettered, logged,
 * and shown on the dashboard.
 */
export class InboxWorker {
  private readonly clock: () => number;
  private readonly concurrency: number;
  private readonly perPortal: number;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private readonly inflight = new Map<number, { row: InboxRow; done: Promise<void> }>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** rows whose handler finished, to be marked done together before the next claim */
  private completed: number[] = [];
  private pendingWake = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private readonly coalesceMs: number;

  constructor(private readonly o: WorkerOptions) {
    this.clock = o.clock ?? Date.now;
    this.concurrency = o.concurrency ?? 16;
    this.perPortal = Math.max(1, Math.min(this.concurrency, o.perPortal ?? this.concurrency - 4));
    this.leaseMs = o.leaseMs ?? 30_000;
    this.maxAttempts = o.maxAttempts ?? 8;
    this.backoffMs = o.backoffMs ?? 1000;
    this.maxBackoffMs = o.maxBackoffMs ?? 5 * 60_000;
    this.coalesceMs = o.coalesceMs ?? 3;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.heartbeat = setInterval(
      () => {
        void this.o.repo
          .renewLease([...this.inflight.keys()], this.clock() + this.leaseMs)
          .catch(() => undefined);
      },
      Math.max(50, this.leaseMs / 3),
    );
    this.heartbeat.unref();
    this.loop = this.run();
  }

  /** Stops claiming and waits for the handlers already running. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.all([...this.inflight.values()].map((f) => f.done));
    await this.flushCompleted().catch((err) => this.o.log.error({ err }, 'could not record finished events'));
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
  }

  /**
   * Something is due: run soon. Wakes within `coalesceMs` are merged, so a stream of events
   * is claimed (and its completions recorded) in groups rather than a statement per event.
   */
  wake(): void {
    this.pendingWake = true;
    if (this.wakeTimer || !this.wakeUp) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeUp?.();
    }, this.coalesceMs);
  }

  /** Processes every row that is due now, then resolves (for the CLI and tests). */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.tick();
      await Promise.all([...this.inflight.values()].map((f) => f.done));
      await this.flushCompleted();
      if (n === 0) return total;
      total += n;
    }
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.pendingWake = false;
      const room = this.concurrency - this.inflight.size;
      let claimed = 0;
      try {
        claimed = await this.tick();
      } catch (err) {
        this.o.log.error({ err }, 'inbox claim failed');
      }
      // A full claim means more may be due right now; otherwise wait to be woken (new events,
      // finished handlers) or for the next retry to fall due.
      if (claimed > 0 && claimed >= room) continue;
      let wait: number;
      if (this.pendingWake) wait = this.coalesceMs;
      // Handlers are running: the next to finish wakes us, and rows held back behind them (by
      // their object, or by their portal's share) become runnable then. A short poll catches
      // retries falling due meanwhile, without reading the backlog for its earliest due time.
      else if (this.inflight.size > 0) wait = BLOCKED_POLL_MS;
      else {
        const due = await this.o.repo.nextDueAt().catch(() => undefined);
        if (due === undefined) wait = 1000;
        else if (due > this.clock()) wait = Math.min(1000, Math.max(this.coalesceMs, due - this.clock()));
        // Due but not taken: held back by another process's running row of its object.
        else wait = BLOCKED_POLL_MS;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
        if (this.pendingWake) this.wake();
      });
      this.wakeUp = undefined;
    }
  }

  private async tick(): Promise<number> {
    const room = this.concurrency - this.inflight.size;
    if (room <= 0) return 0;
    // Finished rows are marked done by the same statement that claims the next ones.
    const finished = this.completed;
    this.completed = [];
    let rows: InboxRow[];
    try {
      const running = new Map<string, number>();
      const runningLanes = new Map<string, number>();
      for (const { row } of this.inflight.values()) {
        running.set(row.memberId, (running.get(row.memberId) ?? 0) + 1);
        const lane = laneKey(row.memberId, laneOf(row.objectKey));
        runningLanes.set(lane, (runningLanes.get(lane) ?? 0) + 1);
      }
      rows = await this.o.repo.claim(this.clock(), this.clock() + this.leaseMs, room, finished, {
        perPortal: this.perPortal,
        running,
        runningLanes,
      });
    } catch (err) {
      this.completed.push(...finished);
      throw err;
    }
    for (const row of rows) {
      const done = this.process(row).finally(() => {
        this.inflight.delete(row.id);
        this.wake();
      });
      this.inflight.set(row.id, { row, done });
    }
    return rows.length;
  }

  private async flushCompleted(): Promise<void> {
    if (this.completed.length === 0) return;
    const ids = this.completed;
    this.completed = [];
    try {
      await this.o.repo.markManyDone(ids, this.clock());
    } catch (err) {
      this.completed.push(...ids);
      throw err;
    }
  }

  private async process(row: InboxRow): Promise<void> {
    // A child logger costs more than most handlers' work; build it only if something logs.
    let child: Logger | undefined;
    const logFor = () => {
      child ??= this.o.log.child({ memberId: row.memberId, inboxId: row.id, event: row.event });
      return child;
    };
    const def = this.o.router.get(row.event);
    try {
      if (!def) throw new AppError(ErrorCode.InvalidInput, `no handler for ${row.event}`, 400);
      await def.handle({
        memberId: row.memberId,
        event: row.event,
        body: row.payload,
        row,
        client: () => this.o.clients.get(row.memberId),
        get log() {
          return logFor();
        },
        now: this.clock,
      });
      // Until flushed, the row stays 'processing' (holding back its object's next event);
      // a crash before the flush runs the handler again, which handlers are built to allow.
      this.completed.push(row.id);
    } catch (err) {
      const message = describe(err);
      const log = logFor();
      if (err instanceof RetryLaterError) {
        log.debug({ retryInMs: err.retryAfterMs, why: message }, 'event deferred');
        await this.o.repo.markRetry(row.id, this.clock() + err.retryAfterMs, message, { uncounted: true });
      } else if (retryable(err) && row.attempts < this.maxAttempts) {
        const delay = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (row.attempts - 1));
        const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
        log.warn({ attempt: row.attempts, retryInMs: jittered, error: message }, 'event failed, will retry');
        await this.o.repo.markRetry(row.id, this.clock() + jittered, message);
      } else {
        log.error({ attempt: row.attempts, error: message }, 'event dead-lettered');
        await this.o.repo.markDead(row.id, this.clock(), message);
      }
    }
  }
}

/** Errors that another attempt may fix: the portal's limits and outages, and the unexpected. */
function retryable(err: unknown): boolean {
  if (err instanceof PortalError) return err.retryable;
  if (err instanceof AppError)
    return err.code === ErrorCode.RateLimited || err.code === ErrorCode.PortalError;
  return true;
}

function describe(err: unknown): string {
  if (err instanceof PortalError)
    return `${err.code}: ${err.b24Error} ${err.message}${err.method ? ` (${err.method})` : ''}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return String(err);
}
