import express, { type Router } from 'express';
import type { AppContext } from '../../app-context.ts';
import type { LeadsServices } from '../../crm/feature.ts';
import { type BreachReportRow, SpeedReportRepository } from '../../db/repositories/speed-reports.ts';
import { chatBreachCounts } from '../../openlines/first-message-report.ts';
import type { LiveData } from '../live.ts';
import { sessionOf } from './auth.ts';
import { reasonText } from './reason-words.ts';

const DAY = 86_400_000;

/**
 * GET /api/speed[?today=<unix ms>]: the speed-to-lead report of the viewer's portal — time to
 * first touch per operator (from when they got the lead) and per lead queue (from the lead's
 * arrival), p50/p90 for today and the last 7 days, missed deadlines, and the latest misses in
 * words. `today`: the start of "today" (the page's local midnight, at most two days back);
 * default the portal's midnight. Scoped by the session's memberId, like every /api route.
 *
 *   { generatedAt, windows: { today: {from,to}, week: {from,to} },
 *     operators: [{ id, name, today: Stats, week: Stats }],
 *     lines: [{ queueId, route, name, today: Stats, week: Stats }],
 *     breaches: { today, week,
 *       recent: [{ leadId, breachNo, holderId, holderName, action, newHolderId, newHolderName,
 *                  supervisorId, waitedMs, at, text }] } }
 *     chats: { today, week,                     (open lines' missed first-answer deadlines)
 *       lines: [{ lineId, name, today, week }],
 *       recent: [{ chatId, lineId, lineName, breachNo, holderId, holderName, action, newHolderId,
 *                  newHolderName, supervisorId, waitedMs, at, text }] } }
 *   Stats = { touched, p50Ms, p90Ms, breaches }   (p50Ms/p90Ms null when nothing was touched)
 */
export function speedRoutes(ctx: AppContext, live: LiveData): Router {
  const r = express.Router();
  const reports = new SpeedReportRepository(ctx.db);
  r.get('/api/speed', async (req, res) => {
    const s = sessionOf(res);
    const leads = ctx.services.leads as LeadsServices | undefined;
    if (!leads || typeof leads.speed !== 'function') {
      res.status(404).json({ error: 'not_available', error_description: 'leads are not part of this app' });
      return;
    }
    const now = ctx.clock();
    let today: number | undefined;
    if (req.query.today !== undefined) {
      const n = Number(req.query.today);
      if (!Number.isInteger(n) || n > now || n < now - 2 * DAY) {
        res.status(400).json({
          error: 'invalid_query',
          error_description: 'today must be a unix time in ms within the last two days',
        });
        return;
      }
      today = n;
    }
    const report = await leads.speed(s.memberId, now, today);
    const [chatRows, { lines }] = await Promise.all([
      reports.chatBreaches(s.memberId, report.windows.week.from),
      live.lines(s.memberId),
    ]);
    const chats = chatBreachCounts(chatRows, report.windows);
    const chatRecent = chatRows.slice(0, 50);
    const ids = [
      ...report.operators.map((o) => o.id),
      ...[...report.recent, ...chatRecent].flatMap((b) => [b.holderId, b.newHolderId, b.supervisorId]),
    ].filter((x): x is number => typeof x === 'number');
    const lineName = (id: number) => lines.find((l) => l.id === id)?.name ?? `#${id}`;
    // A missed deadline as the page shows it (a lead's or a chat's).
    const view = (b: BreachReportRow) => ({
      breachNo: b.breachNo,
      holderId: b.holderId,
      holderName: nameOf(b.holderId),
      action: b.action,
      newHolderId: b.newHolderId,
      newHolderName: b.newHolderId === null ? null : nameOf(b.newHolderId),
      supervisorId: b.supervisorId,
      waitedMs: b.waitedMs,
      at: b.at,
      text: reasonText({ reason: b.reason }, s.lang, nameOf),
    });
    const people = await live.people(s.memberId, ids);
    const nameOf = (id: number) => people.get(id)?.name ?? `#${id}`;
    const settings = await ctx.settings.leads(s.memberId);
    const routeOf = (queueId: string) =>
      settings.routes.find((x) => `leads:${x.name}` === queueId)?.name ?? null;
    res.json({
      generatedAt: now,
      windows: report.windows,
      operators: report.operators.map((o) => ({ ...o, name: nameOf(o.id) })),
      lines: report.lines.map((l) => {
        const route = routeOf(l.queueId);
        const name =
          route ??
          (l.queueId === 'leads:default'
            ? s.lang === 'ru'
              ? 'Основная очередь лидов'
              : 'Default lead queue'
            : l.queueId);
        return { queueId: l.queueId, route, name, today: l.today, week: l.week };
      }),
      breaches: {
        ...report.breaches,
        recent: report.recent.map((b) => ({ leadId: Number(b.objectId), ...view(b) })),
      },
      chats: {
        today: chats.today,
        week: chats.week,
        lines: chats.lines.map((l) => ({ ...l, name: lineName(l.lineId) })),
        recent: chatRecent.map((b) => {
          const lineId = Number(String(b.queueId).replace(/^line:/, ''));
          return { chatId: b.chatId, lineId, lineName: lineName(lineId), ...view(b) };
        }),
      },
    });
  });
  return r;
}
