import {
  AjaxError,
  ApiVersion,
  B24OAuth,
  EnumAppStatus,
  ParamsFactory,
  RefreshTokenError,
} from '@bitrix24/b24jssdk';
import qs from 'qs';
import { AppError, ErrorCode, PortalError } from '../errors.ts';
import type { Installation } from './installation.ts';
import type { SharedRateLimit } from './rate-limit.ts';
import type { TokenRefresher } from './token-refresher.ts';

export type Call = [method: string, params?: Record<string, unknown>];

export interface BatchResult {
  /** label → result of each command that succeeded */
  results: Record<string, any>;
  /** label → Bitrix24 error of each command that failed */
  errors: Record<string, { error: string; error_description: string }>;
  /** label → `total` of each list command that answered one (result_total) */
  totals?: Record<string, number>;
}

export interface Page<T> {
  result: T;
  total?: number;
  next?: number;
}

/** The REST API of one portal. Every request goes to that portal only, with its own tokens. */
/** Every page of a list method, 50 rows at a time, through whichever client's `page` (so its pacing applies). */
export async function listAllPages<T>(
  page: (params: Record<string, unknown>) => Promise<Page<T[]>>,
  params: Record<string, unknown>,
  max: number,
): Promise<T[]> {
  const out: T[] = [];
  let start: number | undefined = 0;
  while (start !== undefined && out.length < max) {
    const p: Page<T[]> = await page({ ...params, start });
    out.push(...((Array.isArray(p.result) ? p.result : Object.values(p.result ?? {})) as T[]));
    start = p.next;
  }
  return out;
}

export interface PortalClient {
  readonly memberId: string;
  call<T = any>(method: string, params?: Record<string, unknown>): Promise<T>;
  /** A write the transport never sends twice (BatchOptions.once): a lost answer is the caller's to read back. */
  callOnce<T = any>(method: string, params?: Record<string, unknown>): Promise<T>;
  page<T = any>(method: string, params?: Record<string, unknown>): Promise<Page<T>>;
  /** Every page of a list method (50 rows a page). */
  listAll<T = any>(method: string, params?: Record<string, unknown>, max?: number): Promise<T[]>;
  /** Any number of commands, sent as batch requests of at most 50; never throws per command. */
  batch(calls: Record<string, Call>, o?: BatchOptions): Promise<BatchResult>;
}

export interface BatchOptions {
  /**
   * Writes: a request whose answer is lost (network error, timeout) is reported, never sent
   * again by the transport, because the portal may have done it. Whoever sent it reads the
   * portal back before any resend. Requests the portal refused unread (rate limit) are retried.
   */
  once?: boolean;
}

export type RestrictionParams = ReturnType<typeof ParamsFactory.getDefault>;

/** The portal's limits: 2 req/s with a burst of 50, or 5/250 on Enterprise plans. */
export function restrictionsFor(plan: Installation['ratePlan']): RestrictionParams {
  return plan === 'enterprise' ? ParamsFactory.getEnterprise() : ParamsFactory.getDefault();
}

export const BATCH_SIZE = 50;

/**
 * PortalClient over the official SDK's B24OAuth: the SDK supplies the per-portal token
 * bucket, retries with backoff on 503/429/5xx, and one retry after a 401 expired_token.
 * Two pieces are replaced (see README, "SDK"): refresh goes through our TokenRefresher
 * (compare-and-swap in the database, across processes), and batch is sent as a plain
 * `batch` call so each command's error comes back under its own label.
 */
export class SdkPortalClient implements PortalClient {
  readonly memberId: string;
  private readonly b24: B24OAuth;
  /** our own retries (the SDK's are off: it would resend after any error it does not know) */
  private readonly retries: { max: number; delayMs: number };
  private refreshToken: string;
  private accessToken: string;
  private expiresAt: number;
  /** set when the portal refused the token we hold now (not an older one) */
  private currentRejected = false;
  /** the portal's bucket as every process shares it (store row), when given */
  private readonly terms: { burst: number; perSecond: number };

  constructor(
    inst: Installation,
    clientId: string,
    refresher: TokenRefresher,
    restrictions: RestrictionParams = restrictionsFor(inst.ratePlan),
    private readonly limit?: SharedRateLimit,
  ) {
    this.memberId = inst.memberId;
    this.refreshToken = inst.refreshToken;
    this.accessToken = inst.accessToken;
    this.expiresAt = inst.expiresAt;
    // One SDK instance per portal, so its token bucket sees every request; its retry loop is
    // off (maxRetries 1) because it resends after any error it does not know, a lost answer
    // included. page() retries instead, and never a write whose answer was lost.
    this.retries = {
      max: Math.max(1, restrictions.maxRetries ?? 3),
      delayMs: restrictions.retryDelay ?? 1000,
    };
    this.terms = {
      burst: restrictions.rateLimit?.burstLimit ?? 50,
      perSecond: restrictions.rateLimit?.drainRate ?? 2,
    };
    // With the shared bucket the SDK's own one is opened wide: one request, one token.
    const sdkLimits = limit
      ? ({
          ...restrictions,
          rateLimit: { adaptiveEnabled: false, ...restrictions.rateLimit, burstLimit: 1e9, drainRate: 1e9 },
        } as RestrictionParams)
      : restrictions;
    this.b24 = this.sdk(inst, clientId, refresher, { ...sdkLimits, maxRetries: 1 });
  }

  private sdk(
    inst: Installation,
    clientId: string,
    refresher: TokenRefresher,
    restrictions: RestrictionParams,
  ): B24OAuth {
    const b24 = new B24OAuth(
      {
        applicationToken: inst.applicationToken,
        userId: inst.userId ?? 0,
        memberId: inst.memberId,
        accessToken: inst.accessToken,
        refreshToken: inst.refreshToken,
        expires: inst.expiresAt,
        expiresIn: 3600,
        scope: inst.scope.join(','),
        domain: inst.domain,
        // The SDK appends "/method": a trailing slash would make "//method".
        clientEndpoint: inst.clientEndpoint.replace(/\/+$/, ''),
        serverEndpoint: inst.serverEndpoint,
        status: (Object.values(EnumAppStatus) as string[]).includes(inst.planStatus)
          ? (inst.planStatus as any)
          : EnumAppStatus.Free,
      },
      // The secret never reaches the SDK's own refresh: ours replaces it below.
      { clientId, clientSecret: '' },
      { restrictionParams: restrictions },
    );
    b24.offClientSideWarning?.();
    // Requests already in flight with the old token keep coming back 401 after a refresh;
    // the SDK would refresh again for each. Note which token the portal refused, so that
    // only a refusal of the token we hold now costs a refresh.
    for (const version of [ApiVersion.v2, ApiVersion.v3]) {
      b24.getHttpClient(version).ajaxClient.interceptors.response.use(undefined, (err: any) => {
        if (err?.response?.status === 401) {
          const sent = sentToken(err.config?.data);
          if (sent === undefined || sent === this.accessToken) this.currentRejected = true;
        }
        return Promise.reject(err);
      });
    }
    b24.setCustomRefreshAuth(async () => {
      const stillGood = !this.currentRejected && this.expiresAt * 1000 > Date.now() + 5000;
      const t = stillGood
        ? {
            accessToken: this.accessToken,
            refreshToken: this.refreshToken,
            expiresAt: this.expiresAt,
            clientEndpoint: inst.clientEndpoint,
            serverEndpoint: inst.serverEndpoint,
            scope: inst.scope,
          }
        : await refresher.refresh(this.memberId, this.refreshToken);
      this.currentRejected = false;
      this.refreshToken = t.refreshToken;
      this.accessToken = t.accessToken;
      this.expiresAt = t.expiresAt;
      return {
        access_token: t.accessToken,
        refresh_token: t.refreshToken,
        expires: String(t.expiresAt),
        expires_in: '3600',
        client_endpoint: t.clientEndpoint,
        server_endpoint: t.serverEndpoint,
        member_id: this.memberId,
        scope: t.scope.join(','),
        status: inst.planStatus,
        domain: inst.domain,
      } as any;
    });
    return b24;
  }

  async page<T = any>(method: string, params: Record<string, unknown> = {}, once = false): Promise<Page<T>> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.pageOf<T>(this.b24, method, params);
      } catch (err) {
        const limited = err instanceof AppError && err.code === ErrorCode.RateLimited;
        // Refused unread (the portal's limits): safe to send again. Otherwise (no answer, a 5xx)
        // a read is asked again; a write (once) is its sender's to read back.
        const again = limited || (!once && err instanceof PortalError && err.retryable);
        if (!again || attempt >= this.retries.max + (limited ? 2 : 0)) throw err;
        const base = limited ? Math.max(500, this.retries.delayMs) : this.retries.delayMs;
        await new Promise((r) => setTimeout(r, base * 2 ** (attempt - 1)));
      }
    }
  }

  private async pageOf<T>(b24: B24OAuth, method: string, params: Record<string, unknown>): Promise<Page<T>> {
    let res: any;
    await this.limit?.acquire(this.memberId, this.terms);
    try {
      res = await b24.actions.v2.call.make({ method, params });
    } catch (err) {
      throw toPortalError(err, method);
    }
    if (!res.isSuccess) {
      const first = [...res.errors.values()][0] as any;
      throw toPortalError(first ?? new Error('unknown portal error'), method);
    }
    const raw = res._data ?? {};
    return { result: raw.result as T, total: num(raw.total), next: num(raw.next) };
  }

  async call<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return (await this.page<T>(method, params)).result;
  }

  async callOnce<T = any>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    return (await this.page<T>(method, params, true)).result;
  }

  listAll<T = any>(method: string, params: Record<string, unknown> = {}, max = 100_000): Promise<T[]> {
    return listAllPages((q) => this.page<T[]>(method, q), params, max);
  }

  async batch(calls: Record<string, Call>, o: BatchOptions = {}): Promise<BatchResult> {
    const out: BatchResult = { results: {}, errors: {} };
    const labels = Object.keys(calls);
    for (let i = 0; i < labels.length; i += BATCH_SIZE) {
      const cmd: Record<string, string> = {};
      for (const label of labels.slice(i, i + BATCH_SIZE)) {
        const [method, params] = calls[label];
        cmd[label] = `${method}?${qs.stringify(params ?? {}, { encodeValuesOnly: false })}`;
      }
      const r = (await this.page<any>('batch', { halt: 0, cmd }, o.once === true)).result;
      Object.assign(out.results, plain(r?.result));
      for (const [label, t] of Object.entries(plain(r?.result_total))) {
        const n = num(t);
        if (n === undefined) continue;
        out.totals = out.totals ?? {};
        out.totals[label] = n;
      }
      for (const [label, e] of Object.entries(plain(r?.result_error))) {
        out.errors[label] =
          typeof e === 'string'
            ? { error: e, error_description: e }
            : {
                error: String((e as any).error),
                error_description: String((e as any).error_description ?? ''),
              };
      }
    }
    return out;
  }
}

function sentToken(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  try {
    const auth = JSON.parse(body)?.auth;
    return typeof auth === 'string' ? auth : undefined;
  } catch {
    return undefined;
  }
}

function plain(v: unknown): Record<string, any> {
  if (!v) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  return v as Record<string, any>;
}

function num(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

/** Maps whatever the SDK threw or returned to one PortalError with a stable code. */
export function toPortalError(err: unknown, method?: string): PortalError | AppError {
  if (err instanceof AppError) return err;
  const original = (err as any)?.originalError;
  if (err instanceof RefreshTokenError || original instanceof RefreshTokenError) {
    return new PortalError(
      ErrorCode.AuthLost,
      'invalid_grant',
      'tokens could not be refreshed',
      401,
      method,
      { cause: err },
    );
  }
  if (original instanceof AppError) return original;
  const code = String((err as any)?.code ?? 'UNKNOWN');
  const status = Number((err as any)?.status ?? 0) || 0;
  const message = String((err as any)?.message ?? code);
  if (code === 'QUERY_LIMIT_EXCEEDED' || code === 'OPERATION_TIME_LIMIT' || status === 429) {
    return new PortalError(ErrorCode.RateLimited, code, message, status || 503, method, { cause: err });
  }
  if (code === 'expired_token' || code === 'invalid_token' || code === 'NO_AUTH_FOUND') {
    return new PortalError(ErrorCode.AuthLost, code, message, 401, method, { cause: err });
  }
  if (code === 'ERROR_ENTITY_NOT_FOUND' || code === 'NOT_FOUND' || status === 404) {
    return new PortalError(ErrorCode.NotFound, code, message, status || 404, method, { cause: err });
  }
  const net = err instanceof AjaxError && (code === 'NETWORK_ERROR' || code === 'REQUEST_TIMEOUT');
  return new PortalError(ErrorCode.PortalError, code, message, net ? 0 : status, method, { cause: err });
}
