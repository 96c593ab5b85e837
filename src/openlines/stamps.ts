import type { QueueStateRepository } from '../db/repositories/queue-state.ts';
import type { Logger } from '../log/logger.ts';

interface Stamp {
  memberId: string;
  queueId: string;
  operatorId: number;
  stamp: number;
}

/**
 * The queue bookkeeping (last assignment per operator, weighted credits) written behind the
 * decisions: the live index already holds it, so the database only needs it for the next
 * start. Stamps are merged per operator and written every few hundred milliseconds, which
 * takes a burst's hundreds of writes down to one per operator. A crash loses at most that
 * window, i.e. a little evenness, never a dialog.
 */
export class QueueStamps {
  private readonly stamps = new Map<string, Stamp>();
  private readonly credits = new Map<
    string,
    { memberId: string; queueId: string; credits: Record<number, number> }
  >();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly repo: QueueStateRepository,
    private readonly log: Logger,
    private readonly delayMs = 200,
  ) {}

  record(
    memberId: string,
    queueId: string,
    operatorId: number,
    stamp: number,
    credits?: Record<number, number>,
  ) {
    const key = `${memberId}\u0000${queueId}\u0000${operatorId}`;
    const prev = this.stamps.get(key);
    if (!prev || prev.stamp < stamp) this.stamps.set(key, { memberId, queueId, operatorId, stamp });
    if (credits) this.credits.set(`${memberId}\u0000${queueId}`, { memberId, queueId, credits });
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.delayMs);
      this.timer.unref?.();
    }
  }

  /** Writes everything recorded so far. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const stamps = [...this.stamps.values()];
    const credits = new Map(this.credits);
    this.stamps.clear();
    this.credits.clear();
    this.flushing = this.flushing.then(async () => {
      for (const s of stamps) {
        const key = `${s.memberId}\u0000${s.queueId}`;
        const c = credits.get(key);
        credits.delete(key);
        await this.repo
          .recordAssignment(s.memberId, s.queueId, s.operatorId, s.stamp, c?.credits)
          .catch((err) =>
            this.log.warn({ memberId: s.memberId, err: (err as Error).message }, 'queue state not saved'),
          );
      }
    });
    return this.flushing;
  }

  pending(): boolean {
    return this.stamps.size > 0;
  }
}
