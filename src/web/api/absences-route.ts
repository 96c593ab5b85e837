import express, { type Router } from 'express';
import type { AppContext } from '../../app-context.ts';
import { AbsenceRepository } from '../../db/repositories/absences.ts';
import type { LiveData } from '../live.ts';
import { sessionOf } from './auth.ts';

const DAY = 86_400_000;

/**
 * GET /api/absences — who covers whom until when: the absences running now and coming up
 * (the portal's, as the app saw them, and those entered in the app), each with its deputy (or
 * "back to distribution"), how far its handover got and what it handed over; plus those that
 * ended in the last week. Names from the operator directory. Scoped to the session's portal.
 */
export function absencesRoute(ctx: AppContext, live: LiveData): Router {
  const r = express.Router();
  const repo = new AbsenceRepository(ctx.db);
  r.get('/api/absences', async (_req, res) => {
    const { memberId } = sessionOf(res);
    const now = ctx.clock();
    const rows = (await repo.list(memberId, { endedSince: now - 7 * DAY })).filter(
      (a) => a.state !== 'cancelled',
    );
    const handover = await ctx.settings.handover(memberId);
    const ids = new Set<number>();
    for (const a of rows) {
      ids.add(a.userId);
      if (a.deputyId) ids.add(a.deputyId);
    }
    const people = await live.people(memberId, ids);
    const name = (id: number | null) => (id === null ? null : (people.get(id)?.name ?? `#${id}`));
    const view = (a: (typeof rows)[number]) => ({
      userId: a.userId,
      name: name(a.userId),
      source: a.source,
      from: a.startsAt,
      until: a.endsAt,
      state: a.state,
      covers: a.deputyId === null ? 'distribution' : 'deputy',
      deputyId: a.deputyId,
      deputyName: name(a.deputyId),
      handedOverAt: a.handedOverAt,
      handed: a.handed ?? null,
      returnedAt: a.returnedAt,
    });
    res.json({
      handover: { enabled: handover.enabled, to: handover.to },
      now: rows.filter((a) => a.state === 'active').map(view),
      upcoming: rows.filter((a) => a.state === 'upcoming').map(view),
      ended: rows.filter((a) => a.state === 'ended').map(view),
    });
  });
  return r;
}
