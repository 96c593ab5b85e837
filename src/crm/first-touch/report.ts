import type { BreachReportRow, TouchRow } from '../../db/repositories/speed-reports.ts';
import { percentile } from '../../engine/index.ts';

/*
 * The speed-to-lead report, pure: time to first touch per operator (from when they got the
 * lead: their own speed) and per lead queue (from the lead's arrival: the client's wait), p50
 * and p90 for today and the last 7 days, and the missed deadlines. Every time is wall-clock ms.
 */

export interface Window {
  from: number;
  to: number;
}

export interface Stats {
  /** leads first touched in the window */
  touched: number;
  p50Ms: number | null;
  p90Ms: number | null;
  /** deadlines missed in the window (by this operator, or in this queue) */
  breaches: number;
}

export interface SpeedReport {
  windows: { today: Window; week: Window };
  operators: { id: number; today: Stats; week: Stats }[];
  lines: { queueId: string; today: Stats; week: Stats }[];
  breaches: { today: number; week: number };
}

function stats(times: number[], breaches: number): Stats {
  return { touched: times.length, p50Ms: percentile(times, 50), p90Ms: percentile(times, 90), breaches };
}

const inside = (w: Window, t: number) => t >= w.from && t <= w.to;

export function speedReport(
  touches: readonly TouchRow[],
  breaches: readonly BreachReportRow[],
  windows: { today: Window; week: Window },
): SpeedReport {
  const group = <K>(
    keyOf: (t: TouchRow) => K,
    timeOf: (t: TouchRow) => number,
    bKey: (b: BreachReportRow) => K,
  ) => {
    const keys = new Set<K>([...touches.map(keyOf), ...breaches.map(bKey)]);
    return [...keys].map((k) => {
      const per = (w: Window) =>
        stats(
          touches.filter((t) => keyOf(t) === k && inside(w, t.touchedAt)).map(timeOf),
          breaches.filter((b) => bKey(b) === k && inside(w, b.at)).length,
        );
      return { key: k, today: per(windows.today), week: per(windows.week) };
    });
  };
  const byWeek = (a: { week: Stats }, b: { week: Stats }) =>
    b.week.touched + b.week.breaches - (a.week.touched + a.week.breaches);
  return {
    windows,
    operators: group(
      (t) => t.holderId,
      (t) => Math.max(0, t.touchedAt - t.assignedAt),
      (b) => b.holderId,
    )
      .map(({ key, today, week }) => ({ id: key, today, week }))
      .sort(byWeek),
    lines: group(
      (t) => t.queueId ?? 'leads:default',
      (t) => Math.max(0, t.touchedAt - t.arrivedAt),
      (b) => b.queueId ?? 'leads:default',
    )
      .map(({ key, today, week }) => ({ queueId: key, today, week }))
      .sort(byWeek),
    breaches: {
      today: breaches.filter((b) => inside(windows.today, b.at)).length,
      week: breaches.filter((b) => inside(windows.week, b.at)).length,
    },
  };
}
