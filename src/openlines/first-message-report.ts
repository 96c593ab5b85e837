/*
 * The chats' part of the speed report (GET /api/speed), pure: missed first-answer deadlines per
 * open line for today and the last 7 days. (Time to first answer per line, p50/p90, is the
 * page's own /api/charts.)
 */

export interface Window {
  from: number;
  to: number;
}

export interface ChatBreachCounts {
  today: number;
  week: number;
  lines: { lineId: number; today: number; week: number }[];
}

const inside = (w: Window, t: number) => t >= w.from && t <= w.to;

/** `queueId` is the line's queue ('line:<id>'); lines with most misses this week first. */
export function chatBreachCounts(
  rows: readonly { queueId: string | null; at: number }[],
  windows: { today: Window; week: Window },
): ChatBreachCounts {
  const per = new Map<number, { today: number; week: number }>();
  for (const r of rows) {
    const lineId = Number(/^line:(\d+)$/.exec(r.queueId ?? '')?.[1]);
    if (!Number.isInteger(lineId)) continue;
    const c = per.get(lineId) ?? { today: 0, week: 0 };
    if (inside(windows.today, r.at)) c.today++;
    if (inside(windows.week, r.at)) c.week++;
    per.set(lineId, c);
  }
  const lines = [...per]
    .map(([lineId, c]) => ({ lineId, ...c }))
    .sort((a, b) => b.week - a.week || a.lineId - b.lineId);
  return {
    today: lines.reduce((n, l) => n + l.today, 0),
    week: lines.reduce((n, l) => n + l.week, 0),
    lines,
  };
}
