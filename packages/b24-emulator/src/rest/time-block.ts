import { isoDate } from '../dates.ts';

/** The `time` object every REST answer carries (data-types.md#time). */
export interface TimeBlock {
  start: number;
  finish: number;
  duration: number;
  processing: number;
  date_start: string;
  date_finish: string;
  operating_reset_at: number;
  operating: number;
}

/**
 * Starts a measurement at the injected clock; `finish()` adds the real elapsed processing time,
 * so durations are honest even under a frozen test clock.
 */
export function startTimer(clock: () => number, tzOffsetMin: number): { finish(): TimeBlock } {
  const startMs = clock();
  const t0 = performance.now();
  return {
    finish(): TimeBlock {
      const processing = (performance.now() - t0) / 1000;
      const start = startMs / 1000;
      const finish = start + processing;
      return {
        start,
        finish,
        duration: processing,
        processing,
        date_start: isoDate(startMs, tzOffsetMin),
        date_finish: isoDate(finish * 1000, tzOffsetMin),
        operating_reset_at: Math.floor(start) + 600,
        operating: 0,
      };
    },
  };
}
