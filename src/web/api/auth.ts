import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { InstallationStore } from '../../portal/installation.ts';
import type { SessionClaims, SessionTokens } from '../session-token.ts';

/** The verified viewer of an /api request; every query the route makes is scoped by its memberId. */
export function sessionOf(res: Response): SessionClaims {
  const s = res.locals.session as SessionClaims | undefined;
  if (!s) throw new Error('route mounted without requireSession');
  return s;
}

/**
 * `Authorization: Bearer <token>` issued by /app. No cookie is read: the page lives in a
 * third-party iframe, and a header cannot be sent by another site's form or image.
 * A portal that uninstalled the app loses its tokens' use at once.
 */
export function requireSession(
  tokens: SessionTokens,
  store: Pick<InstallationStore, 'find'>,
): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const h = req.get('authorization') ?? '';
    const m = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(h);
    const v = tokens.verify(m?.[1]);
    if (!v.ok) {
      res
        .status(401)
        .set('WWW-Authenticate', `Bearer error="invalid_token"`)
        .json({ error: v.why === 'expired' ? 'session_expired' : 'unauthorized' });
      return;
    }
    try {
      const inst = await store.find(v.claims.memberId);
      if (inst?.status !== 'active') {
        res.status(401).json({ error: 'unauthorized' });
        return;
      }
    } catch (err) {
      next(err);
      return;
    }
    res.locals.session = v.claims;
    next();
  };
}

/** Writes are for the portal's administrators; everyone else sees the page read-only. */
export const requireAdmin: RequestHandler = (_req, res, next) => {
  if (!sessionOf(res).isAdmin) {
    res
      .status(403)
      .json({ error: 'forbidden', error_description: 'only portal administrators change settings' });
    return;
  }
  next();
};
