import { AppError, ErrorCode, PortalError } from '../errors.ts';
import type { Logger } from '../log/logger.ts';
import { BATCH_SIZE, type Call } from '../portal/client.ts';
import type { ClientFactory } from '../portal/client-pool.ts';
import { withRestClass } from '../portal/rest-priority.ts';

export interface WriteCommand {
  method: string;
  params: Record<string, unknown>;
  /**
   * What the sender must still hold when the request leaves (e.g. a dialog's recorded move):
   * checked, and marked as possibly sent, by `beforeSend` just before the batch goes out.
   */
  claim?: unknown;
}

/**
 * `sent` says what became of a command that did not succeed: 'no', the portal never did it
 * (refused unread, or its claim was gone); 'yes', the portal ran it and refused it; 'maybe',
 * the answer was lost (network, timeout, 5xx), so the portal must be read before a resend.
 */
export type WriteOutcome =
  | { ok: true; result: unknown }
  | {
      ok: false;
      error: string;
      description: string;
      retryable: boolean;
      sent: 'no' | 'yes' | 'maybe';
    };

/** The answer for a command whose claim was gone when its batch left: it was not sent. */
export const NOT_CLAIMED = 'NOT_CLAIMED';

/** The portal's leaky bucket: `burst` requests at once, draining `perSec` a second. */
export interface RateBudget {
  burst: number;
  perSec: number;
}

export interface WriteQueueOptions {
  clients: ClientFactory;
  clock?: () => number;
  log?: Logger;
  /** how long the first command of a batch waits for company while the budget is ample */
  windowMs?: number;
  /** the portal's limits (its plan); default 50 / 2 per second */
  budget?: (memberId: string) => Promise<RateBudget> | RateBudget;
  /** the share of the burst this queue spends on quick small batches before it waits to fill them */
  eagerShare?: number;
  /** past the eager share, a partial batch goes after the stream has been quiet this long (ms) */
  quietMs?: number;
  /**
   * Runs just before a batch leaves: checks each command's claim and records, durably, that it
   * may reach the portal. Commands it answers false for are dropped from the batch.
   */
  beforeSend?: (memberId: string, cmds: WriteCommand[]) => Promise<boolean[]>;
}

/** Our writes never take more than this share of the portal's burst: the rest is for reads. */
const HEADROOM = 0.8;

interface Pending {
  cmd: WriteCommand;
  resolve: (o: WriteOutcome) => void;
}

interface PortalQueue {
  items: Pending[];
  firstAt: number;
  /** when the latest command came: a batch goes once the stream has been quiet a moment */
  lastAt: number;
  timer?: NodeJS.Timeout;
  flushing: boolean;
  /** estimated fill of the portal's bucket by our own writes */
  level: number;
  levelAt: number;
  budget?: RateBudget;
}

/**
 * Writes due together go out together: per portal, commands are collected for a few
 * milliseconds and sent as one batch request of at most 50. While the portal's request budget
 * is ample a lone command goes out after the short window (fast answers at steady load); once
 * our own writes have used the eager share of the burst, a batch goes when it is full or when
 * the stream pauses, so a burst of 500 dialogs costs ~35 requests rather than 500; near the
 * headroom cap, partial batches wait for the bucket to drain. One request at a time per
 * portal; the SDK's token bucket is the last guard.
 */
export class WriteQueue {
  private readonly clock: () => number;
  private readonly windowMs: number;
  private readonly eagerShare: number;
  private readonly quietMs: number;
  private readonly portals = new Map<string, PortalQueue>();
  private idleWaiters: (() => void)[] = [];
  /** batch requests sent, for tests and benchmarks */
  requests = 0;

  constructor(private readonly o: WriteQueueOptions) {
    this.clock = o.clock ?? Date.now;
    this.windowMs = o.windowMs ?? 3;
    this.eagerShare = o.eagerShare ?? 0.5;
    this.quietMs = o.quietMs ?? 25;
  }

  submit(memberId: string, cmd: WriteCommand): Promise<WriteOutcome> {
    const p = this.portal(memberId);
    return new Promise((resolve) => {
      if (p.items.length === 0) p.firstAt = this.clock();
      p.lastAt = this.clock();
      p.items.push({ cmd, resolve });
      this.schedule(memberId, p);
    });
  }

  /** Resolves when nothing is queued or in flight. */
  idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private isIdle(): boolean {
    for (const p of this.portals.values()) if (p.items.length > 0 || p.flushing) return false;
    return true;
  }

  private portal(memberId: string): PortalQueue {
    let p = this.portals.get(memberId);
    if (!p) {
      p = { items: [], firstAt: 0, lastAt: 0, flushing: false, level: 0, levelAt: this.clock() };
      this.portals.set(memberId, p);
    }
    return p;
  }

  private drainLevel(p: PortalQueue, budget: RateBudget): void {
    const now = this.clock();
    p.level = Math.max(0, p.level - ((now - p.levelAt) / 1000) * budget.perSec);
    p.levelAt = now;
  }

  private schedule(memberId: string, p: PortalQueue): void {
    if (p.flushing || p.items.length === 0) return;
    if (p.timer) clearTimeout(p.timer);
    p.timer = undefined;
    if (p.items.length >= BATCH_SIZE) {
      void this.flush(memberId, p);
      return;
    }
    const budget = p.budget ?? { burst: 50, perSec: 2 };
    this.drainLevel(p, budget);
    const now = this.clock();
    const eager = Math.max(1, Math.floor(budget.burst * this.eagerShare));
    const cap = Math.max(eager, Math.floor(budget.burst * HEADROOM));
    let wait: number;
    if (p.level + 1 <= eager) wait = p.firstAt + this.windowMs - now;
    else if (p.level + 1 <= cap) wait = Math.max(p.firstAt + this.windowMs, p.lastAt + this.quietMs) - now;
    else wait = ((p.level + 1 - cap) / budget.perSec) * 1000;
    p.timer = setTimeout(
      () => {
        p.timer = undefined;
        void this.flush(memberId, p);
      },
      Math.max(0, wait),
    );
  }

  private async flush(memberId: string, p: PortalQueue): Promise<void> {
    if (p.flushing || p.items.length === 0) return;
    p.flushing = true;
    const batch = p.items.splice(0, BATCH_SIZE);
    if (p.items.length > 0) p.firstAt = this.clock();
    try {
      p.budget ??= await this.o.budget?.(memberId);
      const budget = p.budget ?? { burst: 50, perSec: 2 };
      let allowed: boolean[];
      try {
        allowed = this.o.beforeSend
          ? await this.o.beforeSend(
              memberId,
              batch.map((b) => b.cmd),
            )
          : batch.map(() => true);
      } catch (err) {
        // Nothing left: a command that could not be marked is not sent.
        for (const b of batch)
          b.resolve({
            ok: false,
            error: 'NOT_MARKED',
            description: (err as Error).message,
            retryable: true,
            sent: 'no',
          });
        return;
      }
      const going = batch.filter((b, i) => {
        if (allowed[i]) return true;
        b.resolve({
          ok: false,
          error: NOT_CLAIMED,
          description: 'the command was no longer its sender’s to send',
          retryable: false,
          sent: 'no',
        });
        return false;
      });
      if (going.length === 0) return;
      this.drainLevel(p, budget);
      p.level += 1;
      this.requests++;
      const calls: Record<string, Call> = {};
      going.forEach((b, i) => {
        calls[`w${i}`] = [b.cmd.method, b.cmd.params];
      });
      try {
        const client = await this.o.clients.get(memberId);
        // once: a lost answer is never resent by the transport; the sender reads back first
        // Writes of new work go before event reads and background (rest-priority.ts).
        const r = await withRestClass('write', () => client.batch(calls, { once: true }));
        going.forEach((b, i) => {
          const e = r.errors[`w${i}`];
          if (e)
            b.resolve({
              ok: false,
              error: e.error,
              description: e.error_description,
              retryable: false,
              sent: 'yes',
            });
          else if (!(`w${i}` in r.results))
            b.resolve({
              ok: false,
              error: 'NO_RESULT',
              description: 'no answer for this command',
              retryable: true,
              sent: 'maybe',
            });
          else b.resolve({ ok: true, result: r.results[`w${i}`] });
        });
      } catch (err) {
        const retryable = !(err instanceof PortalError) || err.retryable;
        const error = err instanceof PortalError ? err.b24Error : 'REQUEST_FAILED';
        // Refused before the portal read it (its limits, our tokens): not done. Anything else
        // (no answer, a 5xx) may have been done.
        const unread =
          err instanceof AppError && (err.code === ErrorCode.RateLimited || err.code === ErrorCode.AuthLost);
        this.o.log?.warn({ memberId, commands: going.length, error }, 'write batch failed');
        for (const b of going)
          b.resolve({
            ok: false,
            error,
            description: (err as Error).message,
            retryable,
            sent: unread ? 'no' : 'maybe',
          });
      }
    } finally {
      p.flushing = false;
      if (p.items.length > 0) this.schedule(memberId, p);
      else if (this.isIdle()) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const w of waiters) w();
      }
    }
  }
}
