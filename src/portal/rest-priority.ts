import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A REST budget with priorities, per portal (issue 20). The portal allows ~2 requests a second
 * with a burst of 50 (a leaky bucket: each request adds 1, the level drains at the rate); every
 * request the app sends — with its own tokens or a viewer's — fills the same bucket. The classes,
 * first to last:
 *
 *   viewer      the page's viewer check and the page's reads: a person is waiting
 *   write       writes of new work: transfers, lead writes
 *   event       reads an event needs before it can be decided
 *   watch       the freed-place watch (src/openlines/freed-watch.ts): polling that stands in for
 *               the events the portal does not send (a close, an answer, a return from a break);
 *               most of its reads find nothing, so it goes after every read an event needs,
 *               but before the jobs, because what it finds is work waiting now (5 s target)
 *   background  sync and the other jobs
 *
 * Each class may fill the bucket only up to a ceiling below the portal's limit: the headroom
 * above it is kept for the classes before it. Background stops at 60 % of the burst, so the
 * app itself never leaves the viewer check refused; it slows down instead (and says so). A
 * waiting request of an earlier class always goes before a later one.
 *
 * The core (`ceilingOf`, `admit`, `nextToGo`) is pure, so it moves as it is onto a bucket kept
 * in the store (shared by every process; src/portal/rate-limit.ts).
 */

export type RestClass = 'viewer' | 'write' | 'event' | 'watch' | 'background';
export const REST_CLASSES: readonly RestClass[] = ['viewer', 'write', 'event', 'watch', 'background'];

export interface BucketLimits {
  burst: number;
  perSec: number;
}

/** The bucket's level (requests not yet drained) as of `at` (unix ms). */
export interface BucketState {
  level: number;
  at: number;
}

/** Share of the burst each class may fill: the rest is the headroom of the classes before it. */
const CEILING: Record<RestClass, number> = {
  viewer: 0.9,
  write: 0.8,
  event: 0.7,
  // One request at most every ~2 s (the watch runs one tick at a time), and only below 65 %: the
  // page keeps 13 requests of headroom above it, writes 8, event reads 3.
  watch: 0.65,
  background: 0.6,
};

/** The level up to which `cls` may fill the bucket. The viewer keeps a margin for others' use of the portal. */
export function ceilingOf(cls: RestClass, limits: BucketLimits): number {
  return Math.max(1, Math.floor(limits.burst * CEILING[cls]));
}

export function drained(s: BucketState, limits: BucketLimits, now: number): BucketState {
  const level = Math.max(0, s.level - (Math.max(0, now - s.at) / 1000) * limits.perSec);
  return { level, at: Math.max(now, s.at) };
}

/**
 * Whether one request of `cls` may go now: the new state if so, else how long until it may
 * (assuming nobody else sends meanwhile).
 */
export function admit(
  s: BucketState,
  limits: BucketLimits,
  cls: RestClass,
  now: number,
  cost = 1,
): { ok: true; state: BucketState } | { ok: false; waitMs: number } {
  const d = drained(s, limits, now);
  const ceiling = ceilingOf(cls, limits);
  if (d.level + cost <= ceiling) return { ok: true, state: { level: d.level + cost, at: d.at } };
  return { ok: false, waitMs: Math.ceil(((d.level + cost - ceiling) / limits.perSec) * 1000) };
}

/** Of the waiting requests (in arrival order), the one to go next: the earliest class, first come within it. */
export function nextToGo<T extends { cls: RestClass }>(waiting: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const w of waiting) {
    if (!best || REST_CLASSES.indexOf(w.cls) < REST_CLASSES.indexOf(best.cls)) best = w;
  }
  return best;
}

// ------------------------------------------------------------------ in this process

const current = new AsyncLocalStorage<RestClass>();

/** Runs `fn` with every portal request it makes counted as `cls` (the innermost call names it). */
export function withRestClass<T>(cls: RestClass, fn: () => T): T {
  return current.run(cls, fn);
}

/** The class of the request being made now; unnamed callers count as event-driven reads. */
export function currentRestClass(): RestClass {
  return current.getStore() ?? 'event';
}

interface Waiter {
  cls: RestClass;
  cost: number;
  since: number;
  go: () => void;
}

export interface ClassUse {
  /** requests sent */
  sent: number;
  /** total ms requests of this class waited for the budget */
  waitedMs: number;
}

/** What the dashboard shows about one portal's budget. */
export interface BudgetReport {
  limits: BucketLimits;
  level: number;
  byClass: Record<RestClass, ClassUse>;
  /** background requests waited for the budget within the last minute */
  backgroundSlowed: boolean;
  /** the portal refused a request for rate within the last minute (someone else uses it too) */
  portalRefusedAt: number | null;
}

const SLOWED_WINDOW_MS = 60_000;

/** One portal's budget: requests wait their turn by class, none goes over its class's ceiling. */
export class PortalBudget {
  private state: BucketState;
  private readonly waiting: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly use = Object.fromEntries(REST_CLASSES.map((c) => [c, { sent: 0, waitedMs: 0 }])) as Record<
    RestClass,
    ClassUse
  >;
  private backgroundWaitedAt = Number.NEGATIVE_INFINITY;
  private refusedAt: number | null = null;

  constructor(
    public limits: BucketLimits,
    private readonly clock: () => number = Date.now,
  ) {
    this.state = { level: 0, at: clock() };
  }

  /** Resolves when one request (`cost` requests) of `cls` may go. */
  take(cls: RestClass = currentRestClass(), cost = 1): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push({ cls, cost, since: this.clock(), go: resolve });
      this.pump();
    });
  }

  /** The portal refused a request for rate anyway: its bucket is fuller than ours (other apps, other processes). */
  refused(): void {
    this.refusedAt = this.clock();
    this.state = { level: Math.max(this.state.level, this.limits.burst), at: this.clock() };
  }

  report(): BudgetReport {
    const now = this.clock();
    return {
      limits: this.limits,
      level: Math.round(drained(this.state, this.limits, now).level * 10) / 10,
      byClass: structuredClone(this.use),
      backgroundSlowed: now - this.backgroundWaitedAt < SLOWED_WINDOW_MS,
      portalRefusedAt:
        this.refusedAt !== null && now - this.refusedAt < SLOWED_WINDOW_MS ? this.refusedAt : null,
    };
  }

  /** Looks again now (a test's clock moved; the timer does this by itself otherwise). */
  poke(): void {
    this.pump();
  }

  private pump(): void {
    for (;;) {
      const w = nextToGo(this.waiting);
      if (!w) return;
      const now = this.clock();
      const r = admit(this.state, this.limits, w.cls, now, w.cost);
      if (!r.ok) {
        if (w.cls === 'background') this.backgroundWaitedAt = now;
        this.wake(r.waitMs);
        return;
      }
      this.state = r.state;
      this.waiting.splice(this.waiting.indexOf(w), 1);
      const u = this.use[w.cls];
      u.sent += w.cost;
      u.waitedMs += now - w.since;
      if (now > w.since && w.cls === 'background') this.backgroundWaitedAt = now;
      w.go();
    }
  }

  private wake(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.pump();
      },
      Math.max(5, ms),
    );
    this.timer.unref?.();
  }
}

/** Every portal's budget in this process. */
export class RestBudgets {
  private readonly budgets = new Map<string, PortalBudget>();

  constructor(
    private readonly limitsOf: (memberId: string) => BucketLimits,
    private readonly clock: () => number = Date.now,
  ) {}

  of(memberId: string, limits?: BucketLimits): PortalBudget {
    let b = this.budgets.get(memberId);
    if (!b) {
      b = new PortalBudget(limits ?? this.limitsOf(memberId), this.clock);
      this.budgets.set(memberId, b);
    } else if (limits) b.limits = limits;
    return b;
  }

  take(memberId: string, cls: RestClass): Promise<void> {
    return this.of(memberId).take(cls);
  }

  peek(memberId: string): PortalBudget | undefined {
    return this.budgets.get(memberId);
  }
}
