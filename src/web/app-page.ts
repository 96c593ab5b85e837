import { randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from '../log/logger.ts';
import type { InstallationStore } from '../portal/installation.ts';
import { normaliseLang } from '../portal/install-service.ts';
import { dictionary, type Lang } from './i18n.ts';
import type { SessionTokens } from './session-token.ts';
import { pageAssets } from './page-assets.ts';
import { checkViewer, type RefusalWhy, ViewerRefused } from './viewer-check.ts';
import { framedPageCsp, render } from './views.ts';

export interface AppPageDeps {
  store: Pick<InstallationStore, 'find'>;
  tokens: SessionTokens;
  log: Logger;
  fetch?: typeof fetch;
  /** how long the portal may take to answer `profile` */
  viewerTimeoutMs?: number;
  /** waits for the viewer check's turn in the portal's REST budget (first of every class; rest-priority.ts) */
  budget?: (memberId: string) => Promise<void>;
}

const STATUS: Record<RefusalWhy, number> = {
  unknown_portal: 403,
  rejected: 403,
  unreachable: 502,
  limited: 503,
};
/** How long a page refused for the portal's rate limit asks the browser to wait before it tries again. */
const LIMITED_RETRY_SEC = 5;

/**
 * POST (and GET) /app: the settings and dashboard page the portal frames. The server checks
 * the viewer with the portal before the page gets its token; the page itself is a shell that
 * the Vue page (page/, built into dist/page) fills from /api.
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
      if (why === 'limited') res.setHeader('Retry-After', String(LIMITED_RETRY_SEC));
      res.setHeader('Content-Security-Policy', framedPageCsp(origin, nonce, { inlineStyles: false }));
      res
        .status(STATUS[why])
        .type('html')
        .send(render('denied', { lang, title: t.title, message: deniedMessage(why, lang, t), nonce }));
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
    const assets = pageAssets();
    if (!assets) {
      d.log.error('the page is not built: run npm run build');
      res.setHeader('Content-Security-Policy', framedPageCsp(origin, nonce, { inlineStyles: false }));
      res.status(503).type('text').send('The page is not built: run npm run build.');
      return;
    }
    try {
      const check = async () => {
        await d.budget?.(inst.memberId);
        return checkViewer({
          clientEndpoint: inst.clientEndpoint,
          authId,
          fetch: d.fetch,
          timeoutMs: d.viewerTimeoutMs,
        });
      };
      // Refused for rate (someone else's use of the portal: the app keeps the viewer's share free):
      // asked once more after a moment before the page says so.
      const viewer = await check().catch(async (err) => {
        if (!(err instanceof ViewerRefused) || err.why !== 'limited') throw err;
        await new Promise((r) => setTimeout(r, 1000));
        return check();
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
            script: assets.script,
            style: assets.style,
            boot: {
              token,
              expiresAt: claims.exp,
              lang,
              userId: viewer.userId,
              isAdmin: viewer.isAdmin,
              viewerName: viewer.name,
              domain: inst.domain,
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

/** The refusal's words; the portal's rate limit has its own (not in views/i18n.json, which the page owns). */
function deniedMessage(why: RefusalWhy, lang: Lang, t: ReturnType<typeof dictionary>): string {
  if (why === 'limited')
    return lang === 'ru'
      ? `Портал сейчас получает слишком много запросов и просит подождать. Страница откроется через несколько секунд — попробуйте ещё раз через ${LIMITED_RETRY_SEC} с.`
      : `The portal is getting too many requests right now and asks to wait. Try again in ${LIMITED_RETRY_SEC} s; the page will open.`;
  return t[`denied_${why}`];
}
