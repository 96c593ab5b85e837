import type { LiveMarksRepository } from '../db/repositories/live-marks.ts';
import type { Logger } from '../log/logger.ts';

type Listener = (at: number) => void;

interface Watch {
  listeners: Set<Listener>;
  last: string | undefined;
  timer: NodeJS.Timeout;
  busy: boolean;
}

/**
 * Tells the open pages of a portal that something they show has changed. One watch per portal
 * that someone is looking at: every `intervalMs` (half a second) it reads the portal's fingerprint from the store
 * (live-marks.ts) and, when it differs, tells each listener. Reading the store rather than
 * hearing this process's own events is what makes a change made by another process (a second
 * instance, the CLI's job run) show as soon as one made here.
 */
export class LiveHub {
  private readonly watches = new Map<string, Watch>();
  private readonly streams = new Set<() => void>();

  constructor(
    private readonly marks: Pick<LiveMarksRepository, 'fingerprint'>,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    private readonly intervalMs = 500,
  ) {}

  subscribe(memberId: string, listener: Listener): () => void {
    let w = this.watches.get(memberId);
    if (!w) {
      const watch: Watch = {
        listeners: new Set(),
        last: undefined,
        busy: false,
        timer: setInterval(() => void this.check(memberId, watch), this.intervalMs),
      };
      watch.timer.unref?.();
      this.watches.set(memberId, watch);
      void this.check(memberId, watch);
      w = watch;
    }
    w.listeners.add(listener);
    return () => {
      const cur = this.watches.get(memberId);
      if (!cur) return;
      cur.listeners.delete(listener);
      if (cur.listeners.size === 0) {
        clearInterval(cur.timer);
        this.watches.delete(memberId);
      }
    };
  }

  /** Portals watched now, and by how many pages (for the tests and the log). */
  watching(): Record<string, number> {
    return Object.fromEntries([...this.watches].map(([m, w]) => [m, w.listeners.size]));
  }

  /** An open stream's end, called when the process stops (an open stream would hold the server open). */
  track(end: () => void): () => void {
    this.streams.add(end);
    return () => this.streams.delete(end);
  }

  stop(): void {
    for (const end of [...this.streams]) end();
    this.streams.clear();
    for (const w of this.watches.values()) clearInterval(w.timer);
    this.watches.clear();
  }

  private async check(memberId: string, w: Watch): Promise<void> {
    if (w.busy) return;
    w.busy = true;
    try {
      const mark = await this.marks.fingerprint(memberId);
      const changed = w.last !== undefined && mark !== w.last;
      w.last = mark;
      if (changed) for (const l of w.listeners) l(this.clock());
    } catch (err) {
      this.log.warn({ memberId, err: (err as Error).message }, 'live view could not read the store');
    } finally {
      w.busy = false;
    }
  }
}
