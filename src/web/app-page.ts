import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../log/logger.ts';
import type { InstallationStore } from '../portal/installation.ts';
import { normaliseLang } from '../portal/install-service.ts';
import { dictionary, type Lang } from './i18n.ts';
import type { SessionTokens } from './session-token.ts';
import { checkViewer, type RefusalWhy, ViewerRefused } from './viewer-check.ts';
import { framedPageCsp, render } from './views.ts';

export interface AppPageDeps {
  store: Pick<InstallationStore, 'find'>;
  tokens: SessionTokens;
  log: Logger;
  fetch?: typeof fetch;
  /** how long the portal may take to answer `profile` */
  viewerTimeoutMs?: number;
}

const STATUS: Record<RefusalWhy, number> = { unknown_portal: 403, rejected: 403, unreachable: 502 };

/**
 * POST (and GET) /app: the settings and dashboard page the portal frames. The server checks
 * the viewer with the portal before the page gets its token; the page itself is a shell that
 * views/static/app.js fills from /api.
 */
export function appPageRouter(d: AppPageDeps): Router {
  const r = express.Router();
  const handler = async (req: Request, res: Response) => {
    const fields = { ...(req.query as Record<string, unknown>), ...(req.body ?? {}) };
    const lang: Lang = normaliseLang(str(fields.LANG));
    const t = dictionary(lang);
    const nonce = randomBytes(16).toString('base64');
    res.set({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    });
    const refuse = (why: RefusalWhy, origin?: string) => {
      res.setHeader('Content-Security-Policy', framedPageCsp(origin, nonce, { inlineStyles: false }));
      res
        .status(STATUS[why])
        .type('html')
        .send(render('denied', { lang, title: t.title, message: t[`denied_${why}`], nonce }));
    };

    const memberId = str(fields.member_id);
    const authId = str(fields.AUTH_ID);
    // The form's DOMAIN is never used: the portal is the one stored under member_id.
    const inst = memberId ? await d.store.find(memberId) : undefined;
    if (inst?.status !== 'active' || !authId) {
      d.log.info({ memberId: memberId || null }, 'app page refused: unknown installation or no viewer token');
      // A portal we knew (the app was removed) may still frame the refusal, so its people see why.
      refuse('unknown_portal', inst ? new URL(inst.clientEndpoint).origin : undefined);
      return;
    }
    const origin = new URL(inst.clientEndpoint).origin;
    try {
      const viewer = await checkViewer({
        clientEndpoint: inst.clientEndpoint,
        authId,
        fetch: d.fetch,
        timeoutMs: d.viewerTimeoutMs,
      });
      const { token, claims } = d.tokens.issue({
        memberId: inst.memberId,
        userId: viewer.userId,
        isAdmin: viewer.isAdmin,
        lang,
      });
      d.log.info(
        { memberId: inst.memberId, userId: viewer.userId, isAdmin: viewer.isAdmin },
        'app page opened',
      );
      res.setHeader('Content-Security-Policy', framedPageCsp(origin, nonce, { inlineStyles: false }));
      res
        .status(200)
        .type('html')
        .send(
          render('app', {
            lang,
            title: t.title,
            nonce,
            boot: {
              token,
              expiresAt: claims.exp,
              lang,
              userId: viewer.userId,
              isAdmin: viewer.isAdmin,
              viewerName: viewer.name,
              domain: inst.domain,
              t,
            },
          }),
        );
    } catch (err) {
      if (!(err instanceof ViewerRefused)) throw err;
      d.log.warn({ memberId: inst.memberId, why: err.why, err: err.message }, 'app page refused');
      refuse(err.why, origin);
    }
  };
  r.get('/app', handler);
  r.post('/app', express.urlencoded({ extended: true, limit: '64kb' }), handler);
  return r;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}
