import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * The short-lived token /app hands the page after checking the viewer against the portal.
 * It rides in `Authorization: Bearer` (no cookies: a third-party iframe may not keep them),
 * and every /api query is scoped by its memberId, so a token of one portal can never name
 * another's data.
 *
 * Format: base64url(JSON claims) "." base64url(HMAC-SHA256(claims part)). The key is derived
 * from B24_CLIENT_SECRET with HKDF, so no new secret is configured and the client secret
 * itself never signs anything directly.
 */
export interface SessionClaims {
  memberId: string;
  userId: number;
  isAdmin: boolean;
  lang: 'ru' | 'en';
  /** unix ms */
  exp: number;
}

export const SESSION_TTL_MS = 60 * 60 * 1000;

export type VerifyResult =
  | { ok: true; claims: SessionClaims }
  | { ok: false; why: 'malformed' | 'bad_signature' | 'expired' };

export class SessionTokens {
  readonly #key: Buffer;

  constructor(
    clientSecret: string,
    private readonly clock: () => number,
    private readonly ttlMs = SESSION_TTL_MS,
  ) {
    this.#key = Buffer.from(hkdfSync('sha256', clientSecret, 'b24-dispatcher', 'web-session-token/v1', 32));
  }

  issue(c: Omit<SessionClaims, 'exp'>): { token: string; claims: SessionClaims } {
    const claims: SessionClaims = {
      memberId: c.memberId,
      userId: c.userId,
      isAdmin: c.isAdmin,
      lang: c.lang,
      exp: this.clock() + this.ttlMs,
    };
    const body = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return { token: `${body}.${this.sign(body)}`, claims };
  }

  verify(token: string | undefined): VerifyResult {
    if (!token || token.length > 2048) return { ok: false, why: 'malformed' };
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return { ok: false, why: 'malformed' };
    const body = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = Buffer.from(this.sign(body), 'base64url');
    // Length first: timingSafeEqual throws on unequal lengths, and the length is no secret.
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return { ok: false, why: 'bad_signature' };
    }
    let claims: SessionClaims;
    try {
      claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, why: 'malformed' };
    }
    if (
      typeof claims?.memberId !== 'string' ||
      !Number.isInteger(claims.userId) ||
      typeof claims.isAdmin !== 'boolean' ||
      (claims.lang !== 'ru' && claims.lang !== 'en') ||
      typeof claims.exp !== 'number'
    ) {
      return { ok: false, why: 'malformed' };
    }
    if (claims.exp <= this.clock()) return { ok: false, why: 'expired' };
    return { ok: true, claims };
  }

  private sign(body: string): string {
    return createHmac('sha256', this.#key).update(body).digest('base64url');
  }
}
