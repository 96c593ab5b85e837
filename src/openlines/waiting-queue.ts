import { Dispatcher, type OperatorState } from '../engine/index.ts';
import type { PortalClient } from '../portal/client.ts';
import type { Placement } from './placement.ts';
import type { OpenLinesDeps } from './service-deps.ts';

export interface DrainResult {
  assigned: number;
  portal: number;
  waiting: number;
}

/**
 * The dialogs waiting in the app's queue (nobody free when they came): handed to whoever frees
 * up, line by line, one drain per portal at a time. Every change that may free a place (an
 * answer, a close, a move away) kicks a drain; bursts of kicks become one.
 */
export class WaitingQueue {
  private readonly drainChains = new Map<string, Promise<unknown>>();
  private readonly kicks = new Map<string, { timer: NodeJS.Timeout; lines: Set<number> | null }>();
  private stopped = false;

  constructor(
    private readonly d: OpenLinesDeps,
    private readonly placement: Placement,
  ) {}

  /**
   * Hands waiting dialogs to whoever can take them, line by line, in priority then arrival
   * order. One drain per portal at a time. `awaitTransfers` waits until the portal confirmed
   * them (jobs); events do not wait. `dryRun` decides on a copy and changes nothing.
   */
  drain(
    memberId: string,
    client: PortalClient,
    now: number,
    o: { lineIds?: number[]; awaitTransfers?: boolean; dryRun?: boolean } = {},
  ): Promise<DrainResult> {
    const prev = this.drainChains.get(memberId) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.drainNow(memberId, client, now, o));
    this.drainChains.set(memberId, run);
    void run.finally(() => {
      if (this.drainChains.get(memberId) === run) this.drainChains.delete(memberId);
    });
    return run;
  }

  /** Drains soon (coalescing bursts of "someone freed up"), outside the caller's flow. */
  kickDrain(memberId: string, lineId?: number): void {
    if (this.stopped) return;
    const k = this.kicks.get(memberId);
    if (k) {
      if (lineId === undefined) k.lines = null;
      else k.lines?.add(lineId);
      return;
    }
    const entry = {
      lines: lineId === undefined ? null : new Set([lineId]),
      timer: setTimeout(async () => {
        this.kicks.delete(memberId);
        try {
          const client = await this.d.clients.get(memberId);
          await this.drain(memberId, client, this.d.clock(), {
            lineIds: entry.lines ? [...entry.lines] : undefined,
          });
        } catch (err) {
          this.d.log.warn(
            { memberId, err: (err as Error).message },
            'drain after a change failed; sync retries',
          );
        }
      }, 5),
    };
    entry.timer.unref?.();
    this.kicks.set(memberId, entry);
  }

  /** Drains running now (idle waits for them), and whether a kicked one is still to start. */
  inFlight(): { running: Promise<unknown>[]; kicked: boolean } {
    return { running: [...this.drainChains.values()], kicked: this.kicks.size > 0 };
  }

  /** No more kicked drains; those scheduled are dropped (sync picks their dialogs up). */
  stop(): void {
    this.stopped = true;
    for (const k of this.kicks.values()) clearTimeout(k.timer);
    this.kicks.clear();
  }

  private async drainNow(
    memberId: string,
    client: PortalClient,
    now: number,
    o: { lineIds?: number[]; awaitTransfers?: boolean; dryRun?: boolean },
  ): Promise<DrainResult> {
    const result: DrainResult = { assigned: 0, portal: 0, waiting: 0 };
    const done: Promise<void>[] = [];
    const lineIds = o.lineIds ?? (await this.d.dialogs.linesWithWaiting(memberId));
    for (const lineId of lineIds) {
      const rows = await this.d.dialogs.open(memberId, ['waiting'], lineId);
      if (rows.length === 0) continue;
      const idx = await this.d.indexes.get(memberId, lineId, client);
      if (!idx) {
        result.waiting += rows.length;
        continue;
      }
      const byId = new Map(rows.map((r) => [r.id, r]));
      const items = await Promise.all(rows.map((r) => this.placement.itemFor(memberId, idx, r, client)));
      // A dry run decides on a copy; the real one in the queue's turn, on the shared order.
      const res = o.dryRun
        ? dryRunCopy(idx.dispatcher, now).drain(items, now)
        : await this.d.indexes.decide(
            idx,
            (dispatcher, turn) => {
              const r = dispatcher.drain(items, now);
              for (const d of r.decisions) turn.committed(d);
              return r;
            },
            items,
          );
      result.waiting += res.waiting.length;
      for (const d of res.decisions) {
        if (d.action === 'assign') result.assigned++;
        else result.portal++;
        if (o.dryRun) continue;
        const row = byId.get(Number(d.itemId))!;
        const r = await this.placement.record(memberId, idx, row, d, now, { logWait: false });
        if (r.done) done.push(r.done);
      }
    }
    if (o.awaitTransfers) await Promise.all(done);
    return result;
  }
}

/**
 * A dispatcher to decide on without touching the line's own: a dry run commits each decision
 * to it, so that its later decisions see the places taken, as the real run's do.
 */
export function dryRunCopy(d: Dispatcher, now: number): Dispatcher {
  const states = d.rules.queue.map((m) => d.stateOf(m.id)).filter((s): s is OperatorState => !!s);
  return new Dispatcher(d.rules, states, now);
}
