import { z } from 'zod';
import { AppError, ErrorCode } from '../errors.ts';
import { parseScope } from './installation.ts';

/** What the OAuth server answers to a refresh: the only trusted source of member_id and endpoints. */
const answerSchema = z.object({
  access_token: z.string().min(1),
  refresh_token: z.string().min(1),
  expires: z.coerce.number().int().positive(),
  expires_in: z.coerce.number().int().positive().optional(),
  member_id: z.string().min(1),
  client_endpoint: z.string().url(),
  server_endpoint: z.string().url(),
  scope: z.string().optional(),
  status: z.string().optional(),
  user_id: z.coerce.number().int().optional(),
});

export interface VerifiedTokens {
  memberId: string;
  accessToken: string;
  refreshToken: string;
  expiresAt: number;
  clientEndpoint: string;
  serverEndpoint: string;
  scope: string[];
  planStatus: string;
  userId: number | null;
}

export interface OAuthServerOptions {
  /** B24_OAUTH_SERVER: never taken from a request */
  baseUrl: string;
  clientId: string;
  clientSecret: string;
  allowHttp: boolean;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

/**
 * The app's side of oauth.bitrix.info. The client secret leaves the process only here,
 * in a POST body to the configured server.
 */
export class OAuthServer {
  private readonly fetch: typeof fetch;
  constructor(private readonly opts: OAuthServerOptions) {
    this.fetch = opts.fetch ?? globalThis.fetch;
  }

  /** Exchanges a refresh token for fresh tokens. Throws AppError(auth_lost) when the server refuses. */
  async refresh(refreshToken: string): Promise<VerifiedTokens> {
    const body = new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: this.opts.clientId,
      client_secret: this.opts.clientSecret,
      refresh_token: refreshToken,
    });
    let res: Response;
    try {
      res = await this.fetch(`${this.opts.baseUrl}/oauth/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 15_000),
      });
    } catch (err) {
      throw new AppError(ErrorCode.PortalError, 'OAuth server unreachable', 502, { cause: err });
    }
    const json: any = await res.json().catch(() => ({}));
    if (!res.ok || json.error) {
      const code = String(json.error ?? res.status);
      // invalid_grant / invalid_client / PAYMENT_REQUIRED: these tokens will never work again.
      const lost = res.status < 500;
      throw new AppError(
        lost ? ErrorCode.AuthLost : ErrorCode.PortalError,
        `OAuth server refused the refresh: ${code}`,
        lost ? 401 : 502,
      );
    }
    const parsed = answerSchema.safeParse(json);
    if (!parsed.success) throw new AppError(ErrorCode.PortalError, 'OAuth server answer is malformed', 502);
    const a = parsed.data;
    if (!this.opts.allowHttp && !a.client_endpoint.startsWith('https://')) {
      throw new AppError(
        ErrorCode.Forbidden,
        'portal endpoint is not https (set B24_ALLOW_HTTP=1 for a local emulator)',
        400,
      );
    }
    return {
      memberId: a.member_id,
      accessToken: a.access_token,
      refreshToken: a.refresh_token,
      expiresAt: a.expires,
      clientEndpoint: a.client_endpoint,
      serverEndpoint: a.server_endpoint,
      scope: parseScope(a.scope),
      planStatus: a.status ?? 'F',
      userId: a.user_id ?? null,
    };
  }
}

/** The portal's host as shown to people, from its REST endpoint (https://x.bitrix24.com/rest/ → x.bitrix24.com). */
export function domainOf(clientEndpoint: string): string {
  return new URL(clientEndpoint).host;
}
