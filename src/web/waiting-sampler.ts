import type { PageStatsRepository } from '../db/repositories/page-stats.ts';
import type { Logger } from '../log/logger.ts';

const MINUTE = 60_000;
/** Samples older than this go: the charts look back 7 days. */
const KEEP_MS = 8 * 24 * 60 * MINUTE;

/**
 * Once a minute, each installed portal's waiting queue (dialogs and leads, from the registers)
 * goes into waiting_samples, for the dashboard's "waiting queue over the day". Several processes
 * may run it: the minute's row is written once (the first wins).
 */
export function startWaitingSampler(d: {
  stats: Pick<PageStatsRepository, 'waitingNow' | 'recordWaiting' | 'pruneWaiting'>;
  portals: () => Promise<{ memberId: string }[]>;
  clock: () => number;
  log: Logger;
  everyMs?: number;
}): { tick(): Promise<void>; stop(): void } {
  let lastPrune = 0;
  let running = false;
  const tick = async () => {
    if (running) return;
    running = true;
    try {
      const now = d.clock();
      const minute = now - (now % MINUTE);
      for (const p of await d.portals()) {
        const w = await d.stats.waitingNow(p.memberId);
        await d.stats.recordWaiting(p.memberId, minute, w.dialogs, w.leads);
      }
      if (now - lastPrune > 60 * MINUTE) {
        lastPrune = now;
        await d.stats.pruneWaiting(now - KEEP_MS);
      }
    } catch (err) {
      // the next minute tries again; a missed sample is a gap in a chart, nothing more
      d.log.warn({ err: (err as Error).message }, 'could not sample the waiting queue');
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), d.everyMs ?? MINUTE);
  timer.unref?.();
  return { tick, stop: () => clearInterval(timer) };
}
