import type { Feature } from '../app-context.ts';
import { LiveMarksRepository } from '../db/repositories/live-marks.ts';
import { PageStatsRepository } from '../db/repositories/page-stats.ts';
import { apiRouter } from './api/router.ts';
import { appPageRouter } from './app-page.ts';
import { LiveData } from './live.ts';
import { LiveHub } from './live-hub.ts';
import { SessionTokens } from './session-token.ts';
import { startWaitingSampler } from './waiting-sampler.ts';

export interface WebFeatureOptions {
  /** the HTTP client for the viewer check (tests); defaults to the global fetch */
  fetch?: typeof fetch;
  viewerTimeoutMs?: number;
  /** how often an open page's portal is checked for changes (the live dashboard) */
  liveIntervalMs?: number;
}

/** The settings and dashboard page (/app) and its JSON API (/api/...). */
export function createWebFeature(o: WebFeatureOptions = {}): Feature {
  return {
    name: 'web',
    register(ctx) {
      const tokens = new SessionTokens(ctx.config.clientSecret, ctx.clock);
      const live = new LiveData(ctx);
      const hub = new LiveHub(new LiveMarksRepository(ctx.db), ctx.log, ctx.clock, o.liveIntervalMs);
      const stats = new PageStatsRepository(ctx.db);
      ctx.services.sessionTokens = tokens;
      ctx.services.liveHub = hub;
      let sampler: ReturnType<typeof startWaitingSampler> | undefined;
      ctx.lifecycle.start.push(() => {
        sampler = startWaitingSampler({
          stats,
          portals: () => ctx.store.listActive(),
          clock: ctx.clock,
          log: ctx.log,
        });
        void sampler.tick();
      });
      ctx.lifecycle.stop.push(() => {
        sampler?.stop();
        hub.stop();
      });
      ctx.routers.push(
        appPageRouter({
          store: ctx.store,
          tokens,
          log: ctx.log,
          fetch: o.fetch,
          viewerTimeoutMs: o.viewerTimeoutMs,
          budget: (memberId) => ctx.clients.budgets?.take(memberId, 'viewer') ?? Promise.resolve(),
        }),
        apiRouter(ctx, tokens, live, hub),
      );
    },
  };
}

export const webFeature: Feature = createWebFeature();
