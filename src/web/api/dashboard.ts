import { budgetView } from './budget-view.ts';
import { offlineEventsView } from './offline-events-view.ts';
import { unreadableView } from './unreadable-view.ts';
import express, { type Router } from 'express';
import type { AppContext } from '../../app-context.ts';
import type { LogRow } from '../../db/repositories/assignment-log.ts';
import { JobRepository } from '../../db/repositories/jobs.ts';
import { availabilityOf, countedLoad, type Reason } from '../../engine/index.ts';
import type { LiveData } from '../live.ts';
import { sessionOf } from './auth.ts';
import { leadQueue, lineRules, queueIdOf, type QueueView, queueStates } from './queues.ts';
import { reasonText } from './reason-words.ts';
import { errorKind, jobResultView } from './result-words.ts';

const DAY = 86_400_000;

/** Every operator a reason names (skipped lists, responsible, previous operator, pass-on source). */
export function reasonIds(reason: unknown): number[] {
  const r = reason as Partial<Reason> | null;
  if (!r || typeof r !== 'object') return [];
  const ids: unknown[] = [
    r.operatorId,
    r.responsible?.operatorId,
    r.sticky?.operatorId,
    r.passOn?.fromId,
    ...(r.skipped?.at_capacity ?? []),
    ...(r.skipped?.already_had ?? []),
    ...(r.skipped?.over_quota ?? []),
    ...(r.skipped?.unavailable ?? []).map((u) => u?.id),
  ];
  return ids.filter((x): x is number => Number.isInteger(x) && (x as number) > 0);
}

/**
 * GET /api/dashboard, GET /api/log and GET /api/lines. Every query is scoped by the session's
 * memberId; nothing from the request names a portal.
 */
export function dashboardRoutes(ctx: AppContext, live: LiveData): Router {
  const r = express.Router();
  const jobs = () =>
    ctx.services.jobRepository instanceof JobRepository
      ? ctx.services.jobRepository
      : new JobRepository(ctx.db);

  r.get('/api/lines', async (_req, res) => {
    const { memberId } = sessionOf(res);
    const { lines, from } = await live.lines(memberId);
    res.json({ lines, from });
  });

  r.get('/api/log', async (req, res) => {
    const s = sessionOf(res);
    const limit = clampInt(req.query.limit, 1, 200, 50);
    const kinds = ['dialog', 'lead', 'deal', 'contact'] as const;
    const kind = kinds.find((k) => k === req.query.kind);
    const objectId =
      typeof req.query.objectId === 'string' && req.query.objectId
        ? req.query.objectId.slice(0, 64)
        : undefined;
    const rows = await ctx.assignmentLog.recent(s.memberId, { limit, kind, objectId });
    res.json({ entries: await logEntries(rows, s.memberId, s.lang) });
  });

  const logEntries = async (rows: LogRow[], memberId: string, lang: 'ru' | 'en') => {
    const ids = rows.flatMap((row) => [
      ...[row.operatorId, row.previousOperatorId].filter((x): x is number => !!x),
      ...reasonIds(row.reason),
    ]);
    const people = await live.people(memberId, ids);
    const nameOf = (id: number) => people.get(id)?.name ?? `#${id}`;
    return rows.map((row) => ({
      id: row.id,
      at: row.at,
      kind: row.kind,
      objectId: row.objectId,
      queueId: row.queueId,
      action: row.action,
      operatorId: row.operatorId,
      operatorName: row.operatorId ? nameOf(row.operatorId) : null,
      previousOperatorId: row.previousOperatorId,
      text: reasonText(row, lang, nameOf),
      latencyMs: row.latencyMs,
    }));
  };

  r.get('/api/dashboard', async (req, res) => {
    const s = sessionOf(res);
    const now = ctx.clock();
    // "Today" is the viewer's day: the page sends its local midnight; never more than two days back.
    const since = clampInt(req.query.since, now - 2 * DAY, now, now - DAY);
    const { lines, from: linesFrom } = await live.lines(s.memberId);
    const leads = await ctx.settings.leads(s.memberId);

    const queues: (QueueView & { label: string; lineId: number | null })[] = [];
    const assumed = new Set<string>();
    for (const line of lines.filter((l) => l.active)) {
      const settings = await ctx.settings.line(s.memberId, line.id);
      const lr = await lineRules(live, s.memberId, line.id, settings);
      const queueId = queueIdOf.line(line.id);
      const view = await queueStates(ctx, live, s.memberId, queueId, lr.rules);
      for (const a of [...lr.assumed, ...view.assumed]) assumed.add(a);
      queues.push({ queueId, label: line.name, lineId: line.id, ...lr, ...view });
    }
    if (leads.enabled) {
      const { queueId, rules } = leadQueue(leads);
      if (rules.queue.length > 0) {
        const view = await queueStates(ctx, live, s.memberId, queueId, rules, {
          openStatuses: leads.openStatuses,
        });
        for (const a of view.assumed) assumed.add(a === 'load' ? 'leads_load' : a);
        queues.push({ queueId, label: 'leads', lineId: null, rules, rulesFrom: 'app', ...view });
      }
    }

    const perOperator = await ctx.assignmentLog.assignmentsPerOperator(s.memberId, since);
    const opSettings = await ctx.settings.operators(s.memberId);
    const allIds = new Set<number>([
      ...queues.flatMap((q) => q.rules.queue.map((m) => m.id)),
      ...perOperator.map((p) => p.operatorId),
      ...Object.keys(opSettings).map(Number),
    ]);
    const people = await live.people(s.memberId, allIds);
    const nameOf = (id: number) => people.get(id)?.name ?? `#${id}`;

    const operators = [...allIds]
      .sort((a, b) => nameOf(a).localeCompare(nameOf(b)))
      .map((id) => {
        const entry = people.get(id);
        const inQueues = queues
          .filter((q) => q.rules.queue.some((m) => m.id === id))
          .map((q) => {
            const state = q.states.find((st) => st.id === id);
            const member = q.rules.queue.find((m) => m.id === id);
            const limit = member?.limit ?? q.rules.capacity.limit;
            const loadKnown = !q.assumed.includes('load');
            const load = state && loadKnown ? countedLoad(state.load, q.rules.capacity.counts) : null;
            let why: string | null = state ? availabilityOf(state, q.rules, now) : 'unknown';
            if (!why && limit !== null && load !== null && load >= limit) why = 'at_capacity';
            // The app never assigns at the limit, so a load above it is people's (or the portal's) doing.
            const over = limit !== null && load !== null && load > limit;
            const byPeople = over ? load - limit : 0;
            return { queueId: q.queueId, label: q.label, lineId: q.lineId, load, limit, why, over, byPeople };
          });
        const settings = opSettings[String(id)];
        return {
          id,
          name: nameOf(id),
          known: entry !== undefined,
          active: entry?.active ?? null,
          online: entry?.online ?? null,
          workday: entry?.workday ?? null,
          absentUntil: entry?.absentUntil ?? null,
          paused: settings?.paused ?? false,
          pausedUntil: settings?.pausedUntil ?? null,
          queues: inQueues,
        };
      });

    const today = new Map<number, { operatorId: number; name: string; dialog: number; lead: number }>();
    for (const p of perOperator) {
      const t = today.get(p.operatorId) ?? {
        operatorId: p.operatorId,
        name: nameOf(p.operatorId),
        dialog: 0,
        lead: 0,
      };
      if (p.kind === 'lead') t.lead += p.n;
      else t.dialog += p.n;
      today.set(p.operatorId, t);
    }

    const waiting = await live.waiting(s.memberId);
    const lineName = new Map(lines.map((l) => [l.id, l.name]));
    const lang = s.lang === 'ru' ? 'ru' : 'en';
    const unreadable = unreadableView(
      await live.unreadable(s.memberId),
      lang,
      (id) => lineName.get(id) ?? `#${id}`,
    );
    const [recent, runs, dead, inbox, installation] = await Promise.all([
      ctx.assignmentLog.recent(s.memberId, { limit: 15 }),
      jobs().recentRuns({ memberId: s.memberId, limit: 15, includeSkipped: false }),
      ctx.inbox.listDead(s.memberId, 20),
      ctx.inbox.backlog(s.memberId),
      // Administrators only: who installed, who was refused, when the token changed.
      s.isAdmin ? installationView(ctx, live, s.memberId) : Promise.resolve(null),
    ]);

    res.json({
      now,
      since,
      budget: budgetView(ctx, s.memberId, lang),
      // Dialogs the portal answers ACCESS_ERROR for: kept, counted, read again later (openlines/unreadable.ts).
      unreadable,
      // Offline events need an administrator's token (events/offline-access.ts).
      offlineEvents: await offlineEventsView(ctx, s.memberId, lang),
      sources: live.sources(),
      linesFrom,
      assumed: [...assumed],
      queues: queues.map((q) => ({
        queueId: q.queueId,
        label: q.label,
        lineId: q.lineId,
        mode: q.rules.mode,
        rulesFrom: q.rulesFrom,
        limit: q.rules.capacity.limit,
        counts: q.rules.capacity.counts,
        checksAvailability: q.rules.availability.check,
        members: q.rules.queue.length,
      })),
      operators,
      today: [...today.values()].sort((a, b) => b.dialog + b.lead - (a.dialog + a.lead)),
      waiting:
        waiting === null
          ? null
          : waiting.map((w) => ({
              ...w,
              lineName: w.lineId ? (lineName.get(w.lineId) ?? `#${w.lineId}`) : null,
              ageSec: Math.max(0, Math.round((now - w.arrivedAt) / 1000)),
            })),
      log: await logEntries(recent, s.memberId, s.lang),
      jobs: runs.map((j) => ({
        id: j.id,
        job: j.job,
        status: j.status,
        dryRun: j.dryRun,
        startedAt: j.startedAt,
        finishedAt: j.finishedAt,
        result: jobResultView(j.summary),
      })),
      // Payloads stay on the server: they may carry the portal's tokens.
      dead: {
        count: inbox.dead,
        rows: dead.map((d) => ({
          id: d.id,
          event: d.event,
          objectKey: d.objectKey,
          attempts: d.attempts,
          receivedAt: d.receivedAt,
          finishedAt: d.finishedAt,
          errorKind: errorKind(d.lastError),
          detail: (d.lastError ?? '').slice(0, 300),
        })),
      },
      inbox,
      installation,
    });
  });
  return r;
}

/** The installation's security state: is the application token the portal's, and the journal. */
async function installationView(ctx: AppContext, live: LiveData, memberId: string) {
  const [inst, events] = await Promise.all([ctx.store.find(memberId), ctx.journal.recent(memberId, 10)]);
  const people = await live.people(
    memberId,
    events.map((e) => e.userId).filter((x): x is number => x !== null),
  );
  return {
    applicationTokenConfirmedAt: inst?.applicationTokenConfirmedAt ?? null,
    events: events.map((e) => ({
      id: e.id,
      at: e.at,
      kind: e.kind,
      userId: e.userId,
      userName: e.userId === null ? null : (people.get(e.userId)?.name ?? `#${e.userId}`),
    })),
  };
}

function clampInt(v: unknown, min: number, max: number, fallback: number): number {
  const n = Number(v);
  if (v === undefined || v === '' || !Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.trunc(n)));
}
