import type { Feature } from '../app-context.ts';
import { apiRouter } from './api/router.ts';
import { appPageRouter } from './app-page.ts';
import { LiveData } from './live.ts';
import { SessionTokens } from './session-token.ts';

export interface WebFeatureOptions {
  /** the HTTP client for the viewer check (tests); defaults to the global fetch */
  fetch?: typeof fetch;
  viewerTimeoutMs?: number;
}

/** The settings and dashboard page (/app) and its JSON API (/api/...). */
export function createWebFeature(o: WebFeatureOptions = {}): Feature {
  return {
    name: 'web',
    register(ctx) {
      const tokens = new SessionTokens(ctx.config.clientSecret, ctx.clock);
      const live = new LiveData(ctx);
      ctx.services.sessionTokens = tokens;
      ctx.routers.push(
        appPageRouter({
          store: ctx.store,
          tokens,
          log: ctx.log,
          fetch: o.fetch,
          viewerTimeoutMs: o.viewerTimeoutMs,
          budget: (memberId) => ctx.clients.budgets?.take(memberId, 'viewer') ?? Promise.resolve(),
        }),
        apiRouter(ctx, tokens, live),
      );
    },
  };
}

export const webFeature: Feature = createWebFeature();
