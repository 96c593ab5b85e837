import { evaluateSchedule, localMinuteOfWeek } from './schedule.ts';
import type { WorkSchedule } from './schema.ts';

/**
 * First-touch deadlines (issue 18). Pure: every time is unix ms passed in.
 *
 * A deadline of N minutes counts only working time: with working hours, the clock runs inside
 * them and stands still outside (a lead assigned at 17:55 with 15 minutes and hours 09–18 is
 * due at 09:10 next working day). Without working hours it runs around the clock.
 */

const MINUTE = 60_000;
/** Enough steps for a week of short intervals; a schedule with no working time at all ends earlier. */
const MAX_STEPS = 2_000;

/** When `budgetMs` of working time has passed since `start`; Infinity when the schedule never works. */
export function deadlineAt(start: number, budgetMs: number, hours: WorkSchedule | null): number {
  if (!hours) return start + budgetMs;
  let t = start;
  let left = budgetMs;
  for (let i = 0; i < MAX_STEPS; i++) {
    const s = evaluateSchedule(hours, t);
    if (!Number.isFinite(s.changesAt)) return s.inside ? t + left : Number.POSITIVE_INFINITY;
    if (s.inside) {
      if (t + left <= s.changesAt) return t + left;
      left -= s.changesAt - t;
    }
    // changesAt is a conservative bound (never later than the real change): re-evaluate there.
    t = Math.max(s.changesAt, t + 1);
  }
  return Number.POSITIVE_INFINITY;
}

/** Working time between `from` and `to` (for "waited N working minutes"); the same clock as deadlineAt. */
export function workingMs(from: number, to: number, hours: WorkSchedule | null): number {
  if (to <= from) return 0;
  if (!hours) return to - from;
  let t = from;
  let sum = 0;
  for (let i = 0; i < MAX_STEPS && t < to; i++) {
    const s = evaluateSchedule(hours, t);
    const end = Math.min(to, Number.isFinite(s.changesAt) ? s.changesAt : to);
    if (s.inside) sum += end - t;
    t = Math.max(end, t + 1);
  }
  return sum;
}

/** What a breach leads to, by its number (1 = the first missed deadline). */
export interface BreachStep {
  /** reassign: to the next eligible person; notify: the holder keeps it and is told */
  action: 'reassign' | 'notify';
  /** the supervisor is told as well */
  escalate: boolean;
  /** the lead is no longer watched after this breach */
  final: boolean;
}

export function breachStep(
  breachNo: number,
  s: { onBreach: 'reassign' | 'notify'; escalateAfterBreaches: number; supervisorId: number | null },
): BreachStep {
  const escalating = breachNo >= s.escalateAfterBreaches;
  return { action: s.onBreach, escalate: escalating && s.supervisorId !== null, final: escalating };
}

/** The p-th percentile (0–100, nearest rank) of `values`; null for none. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** The instant of the last local midnight at or before `at` in an IANA zone or a fixed offset (minutes east of UTC). */
export function dayStart(at: number, zone: string | number): number {
  if (typeof zone === 'number') {
    const local = at + zone * MINUTE;
    return local - (((local % 86_400_000) + 86_400_000) % 86_400_000) - zone * MINUTE;
  }
  const intoMinute = ((at % MINUTE) + MINUTE) % MINUTE;
  const minuteOfDay = localMinuteOfWeek(zone, at) % 1440;
  let t = at - intoMinute - minuteOfDay * MINUTE;
  // A DST shift since midnight leaves t an hour off: settle on the local 00:00.
  const off = localMinuteOfWeek(zone, t) % 1440;
  if (off !== 0) t -= (off > 720 ? off - 1440 : off) * MINUTE;
  return t;
}

/**
 * Start of the operator's current (or last) shift: the latest start of a working interval of
 * their schedule at or before `at`. Null when the schedule has no intervals.
 */
export function shiftStart(at: number, hours: WorkSchedule): number | null {
  const order = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
  const starts: number[] = [];
  order.forEach((d, i) => {
    for (const [from] of hours.days[d] ?? []) {
      const [h, m] = from.split(':').map(Number);
      starts.push(i * 1440 + h * 60 + m);
    }
  });
  if (starts.length === 0) return null;
  const now = localMinuteOfWeek(hours.timeZone, at);
  const week = 7 * 1440;
  const back = Math.min(...starts.map((s) => (((now - s) % week) + week) % week));
  const intoMinute = ((at % MINUTE) + MINUTE) % MINUTE;
  return at - intoMinute - back * MINUTE;
}
