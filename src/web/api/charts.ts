import express, { type Router } from 'express';
import type { AppContext } from '../../app-context.ts';
import { PageStatsRepository } from '../../db/repositories/page-stats.ts';
import type { LiveData } from '../live.ts';
import { sessionOf } from './auth.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** The waiting queue's samples per chart point: one a minute today, the largest of each 15 minutes over a week. */
const WAITING_BUCKET = { today: 60_000, week: 15 * 60_000 } as const;

/** p-th percentile of sorted values (nearest rank). */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/**
 * GET /api/charts?range=today|week&since=<the viewer's midnight, unix ms>: assignments per hour
 * by operator, the waiting queue over time, and time to first answer (p50, p90) per line, for
 * today or the last 7 days. Read from the store only: no portal call but the names.
 */
export function chartsRoute(ctx: AppContext, live: LiveData): Router {
  const r = express.Router();
  const stats = new PageStatsRepository(ctx.db);
  r.get('/api/charts', async (req, res) => {
    const s = sessionOf(res);
    const now = ctx.clock();
    const range = req.query.range === 'week' ? 'week' : 'today';
    const sinceRaw = Number(req.query.since);
    const midnight =
      Number.isFinite(sinceRaw) && sinceRaw <= now && sinceRaw > now - 2 * DAY ? sinceRaw : now - (now % DAY);
    const from = range === 'week' ? midnight - 6 * DAY : midnight;
    const to = Math.max(now, from + HOUR);
    const hours = Math.ceil((to - from) / HOUR);

    const [perHour, samples, waits, { lines }] = await Promise.all([
      stats.assignmentsPerHour(s.memberId, from, to),
      stats.waitingSeries(s.memberId, from, to),
      stats.firstAnswerWaits(s.memberId, from, to),
      live.lines(s.memberId),
    ]);
    const ids = [...new Set(perHour.map((p) => p.operatorId))];
    const people = await live.people(s.memberId, ids);
    const byOp = new Map<number, number[]>(ids.map((id) => [id, new Array(hours).fill(0)]));
    for (const p of perHour) {
      const row = byOp.get(p.operatorId);
      if (row && p.hour >= 0 && p.hour < hours) row[Number(p.hour)] += Number(p.n);
    }
    const operators = ids
      .map((id) => ({ id, name: people.get(id)?.name ?? `#${id}`, counts: byOp.get(id)! }))
      .sort((a, b) => sum(b.counts) - sum(a.counts));

    const step = WAITING_BUCKET[range];
    const buckets = new Map<number, { dialogs: number; leads: number }>();
    for (const x of samples) {
      const at = x.at - ((x.at - from) % step);
      const b = buckets.get(at);
      if (!b) buckets.set(at, { dialogs: Number(x.dialogs), leads: Number(x.leads) });
      else {
        b.dialogs = Math.max(b.dialogs, Number(x.dialogs));
        b.leads = Math.max(b.leads, Number(x.leads));
      }
    }
    const waitingAt = [...buckets.keys()].sort((a, b) => a - b);

    const lineName = new Map(lines.map((l) => [l.id, l.name]));
    const perLine = new Map<number, number[]>();
    for (const w of waits) {
      const list = perLine.get(w.lineId) ?? [];
      list.push(Math.max(0, Number(w.waitMs)) / 1000);
      perLine.set(w.lineId, list);
    }
    const firstAnswer = [...perLine].map(([lineId, secs]) => {
      const sorted = secs.sort((a, b) => a - b);
      return {
        lineId,
        name: lineName.get(lineId) ?? `#${lineId}`,
        n: sorted.length,
        p50: percentile(sorted, 50),
        p90: percentile(sorted, 90),
      };
    });

    res.json({
      range,
      from,
      to,
      assignments: { hours: Array.from({ length: hours }, (_, i) => from + i * HOUR), operators },
      waiting: {
        step,
        at: waitingAt,
        dialogs: waitingAt.map((a) => buckets.get(a)!.dialogs),
        leads: waitingAt.map((a) => buckets.get(a)!.leads),
      },
      firstAnswer: firstAnswer.sort((a, b) => a.name.localeCompare(b.name)),
    });
  });
  return r;
}

function sum(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}
