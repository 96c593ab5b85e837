import { randomBytes } from 'node:crypto';
import {
  OAUTH_ERROR_HTTP_STATUS,
  OAUTH_ERROR_UNSUPPORTED_GRANT,
  OAUTH_ERROR_WHEN_APP_NOT_INSTALLED,
  REFRESH_TOKEN_TTL_SEC,
} from './assumptions.ts';

/**
 * The OAuth server (oauth.bitrix.info) of one or more emulated portals: registered apps and every
 * token pair issued. Shared between emulators in multi-portal tests, so both portals' tokens
 * refresh at one place.
 */

export interface RegisteredApp {
  clientId: string;
  clientSecret: string;
  scope: string;
}

/** What the registry needs to know about a portal it serves tokens for. */
export interface PortalHandle {
  memberId: string;
  domain: string;
  clientEndpoint: string;
  tokenTtlSec: number;
  /** app status letter if the app is on the portal, else null */
  appStatus(clientId: string): string | null;
  /** `app.info` result for a token of this portal (the OAuth server also answers /rest/app.info) */
  appInfo(clientId: string): unknown;
}

export interface AccessTokenRecord {
  token: string;
  memberId: string;
  clientId: string;
  userId: number;
  scope: string;
  expiresAt: number;
  revoked: boolean;
}

interface RefreshTokenRecord {
  token: string;
  memberId: string;
  clientId: string;
  userId: number;
  scope: string;
  expiresAt: number;
  used: boolean;
  revoked: boolean;
}

interface AuthCodeRecord {
  code: string;
  memberId: string;
  clientId: string;
  userId: number;
  expiresAt: number;
}

export interface IssuedTokens {
  accessToken: string;
  refreshToken: string | null;
  /** unix seconds */
  expires: number;
  expiresIn: number;
  scope: string;
  userId: number;
  memberId: string;
}

export interface OAuthAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface OAuthRegistryOptions {
  clock?: () => number;
}

const newToken = () => randomBytes(24).toString('hex');

export class OAuthRegistry {
  readonly clock: () => number;
  /** base URL of the emulator acting as oauth.bitrix.info; set by the first emulator using it */
  serverBase: string | null = null;
  readonly apps = new Map<string, RegisteredApp>();
  readonly portals = new Map<string, PortalHandle>();
  private readonly access = new Map<string, AccessTokenRecord>();
  private readonly refreshTokens = new Map<string, RefreshTokenRecord>();
  private readonly codes = new Map<string, AuthCodeRecord>();
  private issuedSinceSweep = 0;

  constructor(opts: OAuthRegistryOptions = {}) {
    this.clock = opts.clock ?? Date.now;
  }

  /** `server_endpoint` as portals and the OAuth server report it. */
  get serverEndpoint(): string {
    return `${this.serverBase ?? 'http://127.0.0.1'}/rest/`;
  }

  /** Host of the OAuth server, reported as `domain` in token answers (like "oauth.bitrix.info"). */
  get serverDomain(): string {
    return (this.serverBase ?? 'http://127.0.0.1').replace(/^https?:\/\//, '');
  }

  registerApp(app: RegisteredApp): void {
    const known = this.apps.get(app.clientId);
    if (known && known.clientSecret !== app.clientSecret) {
      throw new Error(`OAuthRegistry: client_id ${app.clientId} is already registered with another secret`);
    }
    this.apps.set(app.clientId, { ...app });
  }

  attachPortal(handle: PortalHandle): void {
    this.portals.set(handle.memberId, handle);
  }

  issue(params: { memberId: string; clientId: string; userId: number; withRefresh?: boolean }): IssuedTokens {
    const portal = this.portals.get(params.memberId);
    const app = this.apps.get(params.clientId);
    if (!portal || !app) throw new Error('OAuthRegistry.issue: unknown portal or app');
    this.maybeSweep();
    const now = this.clock();
    const ttl = portal.tokenTtlSec;
    const accessToken = newToken();
    this.access.set(accessToken, {
      token: accessToken,
      memberId: params.memberId,
      clientId: params.clientId,
      userId: params.userId,
      scope: app.scope,
      expiresAt: now + ttl * 1000,
      revoked: false,
    });
    let refreshToken: string | null = null;
    if (params.withRefresh !== false) {
      refreshToken = newToken();
      this.refreshTokens.set(refreshToken, {
        token: refreshToken,
        memberId: params.memberId,
        clientId: params.clientId,
        userId: params.userId,
        scope: app.scope,
        expiresAt: now + REFRESH_TOKEN_TTL_SEC * 1000,
        used: false,
        revoked: false,
      });
    }
    return {
      accessToken,
      refreshToken,
      expires: Math.floor((now + ttl * 1000) / 1000),
      expiresIn: ttl,
      scope: app.scope,
      userId: params.userId,
      memberId: params.memberId,
    };
  }

  lookupAccess(token: string): AccessTokenRecord | undefined {
    return this.access.get(token);
  }

  isExpired(rec: AccessTokenRecord): boolean {
    return rec.expiresAt <= this.clock();
  }

  /** Makes every current access token of a portal (or of all portals) expired. */
  expireAccessTokens(memberId?: string): void {
    const now = this.clock();
    for (const rec of this.access.values()) {
      if (!memberId || rec.memberId === memberId) rec.expiresAt = Math.min(rec.expiresAt, now);
    }
  }

  /** Uninstall: no token of this app on this portal works any more. */
  revokeApp(memberId: string, clientId: string): void {
    for (const rec of this.access.values()) {
      if (rec.memberId === memberId && rec.clientId === clientId) rec.revoked = true;
    }
    for (const rec of this.refreshTokens.values()) {
      if (rec.memberId === memberId && rec.clientId === clientId) rec.revoked = true;
    }
  }

  issueCode(memberId: string, clientId: string, userId: number): string {
    const code = newToken();
    this.codes.set(code, { code, memberId, clientId, userId, expiresAt: this.clock() + 30_000 });
    return code;
  }

  /** The /oauth/token/ endpoint: `grant_type=refresh_token` and `grant_type=authorization_code`. */
  token(params: Record<string, unknown>): OAuthAnswer {
    const str = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : '');
    const grant = str('grant_type');
    const clientId = str('client_id');
    const secret = str('client_secret');
    if (!grant || !clientId || !secret) return fail('invalid_request', 'Missing required parameter');
    if (grant !== 'refresh_token' && grant !== 'authorization_code') {
      return fail(OAUTH_ERROR_UNSUPPORTED_GRANT, `Unsupported grant_type "${grant}"`);
    }
    const app = this.apps.get(clientId);
    if (!app || app.clientSecret !== secret) return fail('invalid_client', 'Invalid client credentials');
    if (grant === 'authorization_code') return this.exchangeCode(clientId, str('code'));
    const supplied = str('refresh_token');
    if (!supplied) return fail('invalid_request', 'Missing refresh_token');
    const rec = this.refreshTokens.get(supplied);
    if (!rec || rec.clientId !== clientId) return fail('invalid_grant', 'Invalid refresh token');
    const portal = this.portals.get(rec.memberId);
    if (!portal || portal.appStatus(clientId) === null) {
      return fail(OAUTH_ERROR_WHEN_APP_NOT_INSTALLED, 'Application is not installed');
    }
    if (rec.revoked || rec.used)
      return fail('invalid_grant', 'Refresh token has already been used or revoked');
    if (rec.expiresAt <= this.clock()) return fail('invalid_grant', 'Refresh token has expired');
    rec.used = true;
    return { status: 200, body: this.tokenAnswer(portal, clientId, rec.userId) };
  }

  private exchangeCode(clientId: string, code: string): OAuthAnswer {
    const rec = this.codes.get(code);
    if (!rec || rec.clientId !== clientId || rec.expiresAt <= this.clock()) {
      return fail('invalid_grant', 'Invalid or expired authorization code');
    }
    this.codes.delete(code);
    const portal = this.portals.get(rec.memberId);
    if (!portal || portal.appStatus(clientId) === null) {
      return fail(OAUTH_ERROR_WHEN_APP_NOT_INSTALLED, 'Application is not installed');
    }
    return { status: 200, body: this.tokenAnswer(portal, clientId, rec.userId) };
  }

  private tokenAnswer(portal: PortalHandle, clientId: string, userId: number): Record<string, unknown> {
    const t = this.issue({ memberId: portal.memberId, clientId, userId });
    return {
      access_token: t.accessToken,
      client_endpoint: portal.clientEndpoint,
      domain: this.serverDomain,
      expires: t.expires,
      expires_in: t.expiresIn,
      member_id: portal.memberId,
      refresh_token: t.refreshToken,
      scope: t.scope,
      server_endpoint: this.serverEndpoint,
      status: portal.appStatus(clientId),
      user_id: userId,
    };
  }

  /** Forget long-dead tokens so a long demo does not grow without bound. */
  private maybeSweep(): void {
    if (++this.issuedSinceSweep < 5000) return;
    this.issuedSinceSweep = 0;
    const cutoff = this.clock() - 24 * 3600_000;
    for (const [k, rec] of this.access) if (rec.expiresAt < cutoff) this.access.delete(k);
    for (const [k, rec] of this.refreshTokens) if (rec.used || rec.revoked) this.refreshTokens.delete(k);
  }
}

function fail(error: string, description: string): OAuthAnswer {
  return { status: OAUTH_ERROR_HTTP_STATUS, body: { error, error_description: description } };
}

export function createOAuthRegistry(opts: OAuthRegistryOptions = {}): OAuthRegistry {
  return new OAuthRegistry(opts);
}
