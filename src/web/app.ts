import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import type { Store as Database } from '../db/store.ts';
import { isIntakeRequest } from '../events/intake.ts';
import type { Logger } from '../log/logger.ts';
import { homePage } from './home-page.ts';
import { PAGE_DIST_DIR } from './page-assets.ts';

const require = createRequire(import.meta.url);
/** The SDK's browser build, served from node_modules (no CDN). */
const SDK_UMD_DIR = join(dirname(require.resolve('@bitrix24/b24jssdk/package.json')), 'dist/umd');
const STATIC_DIR = fileURLToPath(
  new URL(`../../${import.meta.url.includes('/dist/') ? '../' : ''}views/static/`, import.meta.url),
);

/** Builds the express app from ready routers; never listens (tests use supertest). */
export function createApp(d: { db: Database; log: Logger; routers: Router[]; publicUrl?: string }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', 'loopback');
  app.get('/healthz', async (_req, res) => {
    try {
      await d.db.get('SELECT 1');
      res.json({ status: 'ok' });
    } catch {
      res.status(503).json({ status: 'unavailable' });
    }
  });
  if (d.publicUrl) app.get('/', homePage(d.publicUrl));
  app.use('/vendor/b24jssdk', express.static(SDK_UMD_DIR, { maxAge: '1d', index: false }));
  app.use('/static', express.static(STATIC_DIR, { maxAge: '1h', index: false }));
  // The built page: its file names carry a hash of their content, so they may be kept long.
  app.use(
    '/page',
    express.static(PAGE_DIST_DIR, { maxAge: '30d', immutable: true, index: false, dotfiles: 'ignore' }),
  );
  for (const r of d.routers) app.use(r);
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found', error_description: 'no such route' });
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const status = Number(err?.status ?? err?.statusCode ?? 500);
    if (status === 413) {
      res
        .status(413)
        .json({ error: 'payload_too_large', error_description: 'the request body is too large' });
    } else if (status >= 400 && status < 500) {
      res
        .status(status)
        .json({ error: 'invalid_request', error_description: String(err?.message ?? 'bad request') });
    } else {
      d.log.error({ err }, 'unhandled error');
      res.status(500).json({ error: 'internal_error', error_description: 'internal error' });
    }
  };
  app.use(onError);
  return app;
}

/**
 * The process's request listener: the portal's events (POST /events) go straight to the
 * intake, which answers on node's own objects; everything else (install, the settings page,
 * its API, health) goes through express.
 */
export function requestListener(intake: RequestListener, app: Express): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (isIntakeRequest(req)) intake(req, res);
    else app(req, res);
  };
}
