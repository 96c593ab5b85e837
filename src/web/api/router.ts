import { withRestClass } from '../../portal/rest-priority.ts';
import express, { type Router } from 'express';
import type { AppContext } from '../../app-context.ts';
import type { LiveData } from '../live.ts';
import type { LiveHub } from '../live-hub.ts';
import { chartsRoute } from './charts.ts';
import { liveRoute } from './live-route.ts';
import type { SessionTokens } from '../session-token.ts';
import { requireSession, sessionOf } from './auth.ts';
import { absencesRoute } from './absences-route.ts';
import { dashboardRoutes } from './dashboard.ts';
import { settingsRoutes } from './settings-routes.ts';
import { speedRoutes } from './speed.ts';
import { whatIfRoute } from './what-if.ts';

/**
 * The settings page's JSON API. Every route needs `Authorization: Bearer <token>` from /app
 * (401 `unauthorized` / `session_expired` otherwise) and reads or writes only the token's
 * portal; the routes marked (admin) answer 403 to other viewers.
 *
 *   GET  /api/context                      viewer, portal, which live sources are present
 *   GET  /api/lines                        the portal's open lines {lines:[{id,name,active}], from}
 *   GET  /api/settings/lines/:lineId       {value, stored, updatedAt, updatedBy, lineRules}
 *   PUT  /api/settings/lines/:lineId       (admin) body = line settings → {lineId, value}
 *   GET  /api/settings/leads               {value, stored, updatedAt, updatedBy}
 *   PUT  /api/settings/leads               (admin) body = lead settings → {value}
 *   GET  /api/settings/operators           per-operator schedule and pause, keyed by user id
 *   PUT  /api/settings/operators           (admin)
 *   GET  /api/settings/portal              the portal's REST plan
 *   PUT  /api/settings/portal              (admin) takes effect on the next REST call
 *   GET  /api/dashboard?since=<unix ms>    loads, availability, today's assignments, waiting
 *                                          queue, recent log, job runs, dead letters
 *   POST /api/what-if {scope, settings, n, route?}  the next n decisions under unsaved settings
 *   GET  /api/log?limit=&kind=&objectId=   the assignment log with each decision's reason
 *   GET  /api/speed?today=<unix ms>        speed to lead: time to first touch per operator and
 *                                          lead queue (p50/p90, today and 7 days), missed deadlines
 *   GET  /api/charts?range=today|week&since=  assignments per hour by operator, the waiting queue
 *                                          over time, time to first answer p50/p90 per line
 *   GET  /api/live                         server-sent events: `change` when anything the
 *                                          dashboard shows changed for this portal
 *   GET  /api/absences                     who covers whom until when (running, upcoming, ended this week)
 *   GET  /api/settings/{deals,owner,handover}  and PUT (admin): issue 19's scopes
 *
 * A rejected value answers 400 `{error: 'invalid_settings', fields: [{path, message}]}`,
 * checked by the same zod schemas the store uses; a saved one takes effect at once (the
 * settings service notifies its listeners) and is logged with who changed what.
 */
export function apiRouter(ctx: AppContext, tokens: SessionTokens, live: LiveData, hub: LiveHub): Router {
  const r = express.Router();
  r.use('/api', requireSession(tokens, ctx.store), express.json({ limit: '256kb' }), (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    // The page's reads come first in the portal's REST budget (rest-priority.ts).
    withRestClass('viewer', next);
  });
  r.get('/api/context', async (_req, res) => {
    const s = sessionOf(res);
    const inst = await ctx.store.find(s.memberId);
    res.json({
      memberId: s.memberId,
      userId: s.userId,
      isAdmin: s.isAdmin,
      lang: s.lang,
      expiresAt: s.exp,
      portal: { domain: inst?.domain ?? null },
      sources: live.sources(),
    });
  });
  r.use(settingsRoutes(ctx, live));
  r.use(dashboardRoutes(ctx, live));
  r.use(whatIfRoute(ctx, live));
  r.use(speedRoutes(ctx, live));
  r.use(chartsRoute(ctx, live));
  r.use(liveRoute(hub, ctx.clock));
  r.use(absencesRoute(ctx, live));
  // Unknown /api paths answer JSON 404 from the app's own fallback.
  return r;
}
