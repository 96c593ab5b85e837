import { WEEKDAYS, type WorkSchedule } from './schema.ts';

/**
 * Working hours in the operator's own time zone. A schedule is compiled once (cached per
 * object) into merged minute-of-week intervals; evaluating it costs one cached Intl format.
 */

const MINUTE = 60_000;
const WEEK_MIN = 7 * 24 * 60;
/** Re-check at least daily even when no boundary is due, so a time-zone rule change cannot strand anyone. */
const MAX_HORIZON = 24 * 60 * MINUTE;

interface Compiled {
  timeZone: string;
  /** Sorted, merged, non-overlapping [start, end) minute-of-week pairs, Monday 00:00 = 0. */
  starts: number[];
  ends: number[];
}

const compiledCache = new WeakMap<WorkSchedule, Compiled>();
// Building a DateTimeFormat costs ~50 µs; formatting with a built one ~0.6 µs.
const formatters = new Map<string, Intl.DateTimeFormat>();

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function compile(schedule: WorkSchedule): Compiled {
  const raw: [number, number][] = [];
  WEEKDAYS.forEach((day, d) => {
    for (const [from, to] of schedule.days[day] ?? []) {
      const s = d * 1440 + minutesOf(from);
      let e = d * 1440 + minutesOf(to);
      if (e <= s) e += 1440; // past midnight
      if (e <= WEEK_MIN) raw.push([s, e]);
      else raw.push([s, WEEK_MIN], [0, e - WEEK_MIN]); // Sunday night into Monday
    }
  });
  raw.sort((a, b) => a[0] - b[0]);
  const starts: number[] = [];
  const ends: number[] = [];
  for (const [s, e] of raw) {
    const last = ends.length - 1;
    if (last >= 0 && s <= ends[last]) ends[last] = Math.max(ends[last], e);
    else {
      starts.push(s);
      ends.push(e);
    }
  }
  return { timeZone: schedule.timeZone, starts, ends };
}

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    const opts = { hourCycle: 'h23', weekday: 'short', hour: '2-digit', minute: '2-digit' } as const;
    try {
      f = new Intl.DateTimeFormat('en-US', { ...opts, timeZone });
    } catch {
      // The schema rejects unknown zones; data that bypassed it is read as UTC rather than throwing mid-decision.
      f = new Intl.DateTimeFormat('en-US', { ...opts, timeZone: 'UTC' });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

const DAY_INDEX: Record<string, number> = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

/** Local minute of the week (Monday 00:00 = 0) at `at` in `timeZone`. */
export function localMinuteOfWeek(timeZone: string, at: number): number {
  const f = formatterFor(timeZone);
  const s = f.format(at); // "Wed 09:05"
  const day = DAY_INDEX[s.slice(0, 3)];
  if (day !== undefined && s.length === 9) return day * 1440 + minutesOf(s.slice(4));
  let wd = 0;
  let h = 0;
  let m = 0;
  for (const p of f.formatToParts(at)) {
    if (p.type === 'weekday') wd = DAY_INDEX[p.value] ?? 0;
    else if (p.type === 'hour') h = Number(p.value) % 24;
    else if (p.type === 'minute') m = Number(p.value);
  }
  return wd * 1440 + h * 60 + m;
}

export interface ScheduleState {
  inside: boolean;
  /** The earliest time the answer may change (a conservative bound, never later than the real change). */
  changesAt: number;
}

/** Whether `at` falls within the schedule's working hours, and until when that holds. */
export function evaluateSchedule(schedule: WorkSchedule, at: number): ScheduleState {
  let c = compiledCache.get(schedule);
  if (!c) {
    c = compile(schedule);
    compiledCache.set(schedule, c);
  }
  const { starts, ends } = c;
  if (starts.length === 0) return { inside: false, changesAt: Number.POSITIVE_INFINITY };
  if (starts.length === 1 && starts[0] === 0 && ends[0] === WEEK_MIN) {
    return { inside: true, changesAt: Number.POSITIVE_INFINITY };
  }
  const m = localMinuteOfWeek(c.timeZone, at);
  let i = 0;
  while (i < starts.length && ends[i] <= m) i++;
  const inside = i < starts.length && starts[i] <= m;
  let boundary: number;
  if (inside) {
    boundary = ends[i];
    // An interval reaching Sunday 24:00 continues into one starting Monday 00:00.
    if (boundary === WEEK_MIN && starts[0] === 0) boundary = WEEK_MIN + ends[0];
  } else {
    boundary = i < starts.length ? starts[i] : starts[0] + WEEK_MIN;
  }
  return { inside, changesAt: changeTime(c.timeZone, at, m, boundary) };
}

/** Real time of the local minute `boundary` (minutes from this week's Monday), corrected for DST. */
function changeTime(timeZone: string, at: number, nowMin: number, boundary: number): number {
  const intoMinute = ((at % MINUTE) + MINUTE) % MINUTE;
  let t = at - intoMinute + (boundary - nowMin) * MINUTE;
  const want = boundary % WEEK_MIN;
  // Wall-clock arithmetic is off by the DST shift if one falls in between; a correction settles
  // it. A boundary inside a spring-forward gap never settles: then the earliest candidate is
  // used, which is before the real change, so the operator is merely re-checked early.
  let earliest = Number.POSITIVE_INFINITY;
  for (let k = 0; k < 3; k++) {
    let diff = want - localMinuteOfWeek(timeZone, t);
    if (diff > WEEK_MIN / 2) diff -= WEEK_MIN;
    if (diff < -WEEK_MIN / 2) diff += WEEK_MIN;
    if (diff === 0) {
      earliest = t;
      break;
    }
    earliest = Math.min(earliest, t);
    t += diff * MINUTE;
  }
  if (earliest <= at) earliest = at - intoMinute + MINUTE;
  return Math.min(earliest, at + MAX_HORIZON);
}
