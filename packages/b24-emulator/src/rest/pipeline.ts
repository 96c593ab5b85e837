import type { EmulatorCore } from '../core.ts';
import type { Hit } from '../portal-core.ts';
import type { Caller, MethodResult, MethodTable } from './context.ts';
import type { Params } from './params.ts';
import { LeakyBucket, type RateLimitSettings } from './rate-limiter.ts';
import { RestError, SystemErrors } from './rest-error.ts';
import { startTimer, type TimeBlock } from './time-block.ts';
import { pick } from './params.ts';
import { WireFaults } from './wire-faults.ts';

/** One REST method call as the portal saw it (a batch is recorded too, and so is each sub-call). */
export interface CallRecord {
  method: string;
  params: Params;
  viaBatch: boolean;
  at: number;
  status: number;
  error?: string;
  userId?: number;
}

export interface FaultSpec {
  /** method name (case-insensitive); omitted = the next HTTP requests whatever the method */
  method?: string;
  times: number;
  status: number;
  error: string;
  description?: string;
}

export interface HttpAnswer {
  status: number;
  body: unknown;
  /** the portal did the work but the answer never reaches the caller (wire-faults.ts) */
  drop?: 'reset' | 'hang';
}

export type ExecOutcome = { ok: MethodResult; time: TimeBlock } | { error: RestError };

/** Method names are case-insensitive; `.json` suffixes are allowed as on real portals. */
export function normalizeMethod(raw: string): string {
  return raw
    .trim()
    .replace(/\.(json|xml)$/i, '')
    .toLowerCase();
}

/**
 * The portal's REST front: rate limit, authentication, injected faults and latency, dispatch,
 * call recording and the `time` block.
 */
export class RestPipeline {
  readonly calls: CallRecord[] = [];
  httpRequests = 0;
  /** observer for every recorded call (the standalone runner prints them) */
  onCall?: (rec: CallRecord) => void;
  readonly bucket: LeakyBucket;
  latencyMs: number;
  private faults: FaultSpec[] = [];
  /** answers lost after the work was done */
  readonly wire = new WireFaults();

  constructor(
    private readonly core: EmulatorCore,
    readonly methods: MethodTable,
    opts: { rateLimit: RateLimitSettings | false; latencyMs: number },
    private readonly runBatch: (
      pipeline: RestPipeline,
      params: Params,
      caller: Caller,
      hit: Hit,
    ) => MethodResult,
  ) {
    this.bucket = new LeakyBucket(opts.rateLimit, core.clock);
    this.latencyMs = opts.latencyMs;
  }

  now(): number {
    return this.core.clock();
  }

  record(rec: CallRecord): void {
    this.calls.push(rec);
    this.onCall?.(rec);
  }

  injectFault(f: FaultSpec): void {
    this.faults.push({ ...f, method: f.method ? normalizeMethod(f.method) : undefined });
  }

  clearFaults(): void {
    this.faults = [];
  }

  resetCalls(): void {
    this.calls.length = 0;
    this.httpRequests = 0;
  }

  /** One HTTP request to /rest/<method>. */
  async handle(rawMethod: string, params: Params): Promise<HttpAnswer> {
    this.httpRequests++;
    const timer = startTimer(this.core.clock, this.core.tzOffsetMin);
    const method = normalizeMethod(rawMethod);
    const recorded = stripAuth(params);
    const answer = this.handleSync(method, params, recorded, timer);
    if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
    const fate = await this.wire.fate(method, recorded);
    return fate === 'answer' ? answer : { ...answer, drop: fate };
  }

  private handleSync(
    method: string,
    params: Params,
    recorded: Params,
    timer: { finish(): TimeBlock },
  ): HttpAnswer {
    const record = (status: number, error?: string, userId?: number) =>
      this.calls.push({
        method,
        params: recorded,
        viaBatch: false,
        at: this.core.clock(),
        status,
        error,
        userId,
      });
    const fail = (e: RestError, userId?: number): HttpAnswer => {
      record(e.status, e.code, userId);
      return { status: e.status, body: e.toBody() };
    };
    if (!this.bucket.take()) return fail(SystemErrors.queryLimit());

    let caller: Caller;
    try {
      const resolved = this.authenticate(method, params);
      if ('foreign' in resolved) {
        record(200, undefined, resolved.userId);
        return { status: 200, body: { result: resolved.foreign, time: timer.finish() } };
      }
      caller = resolved;
    } catch (e) {
      if (e instanceof RestError) return fail(e);
      throw e;
    }

    const generic = this.takeFault(null);
    if (generic) return fail(generic, caller.userId);

    const authConnector = String(pick(params, 'auth_connector') ?? '');
    const hit = this.core.newHit(authConnector);
    if (method === 'batch') {
      const fault = this.takeFault('batch');
      if (fault) return fail(fault, caller.userId);
      try {
        const out = this.runBatch(this, params, caller, hit);
        record(200, undefined, caller.userId);
        return { status: 200, body: { result: out.result, time: timer.finish() } };
      } catch (e) {
        if (e instanceof RestError) return fail(e, caller.userId);
        return fail(SystemErrors.internal(), caller.userId);
      }
    }
    const outcome = this.execute(method, params, caller, hit, false, recorded);
    if ('error' in outcome) return { status: outcome.error.status, body: outcome.error.toBody() };
    const body: Record<string, unknown> = { result: outcome.ok.result };
    if (outcome.ok.next !== undefined) body.next = outcome.ok.next;
    if (outcome.ok.total !== undefined) body.total = outcome.ok.total;
    body.time = timer.finish();
    return { status: 200, body };
  }

  /**
   * Runs one method (top level or inside a batch) and records it. Never throws for REST errors.
   */
  execute(
    method: string,
    params: Params,
    caller: Caller,
    hit: Hit,
    viaBatch: boolean,
    recorded = stripAuth(params),
  ): ExecOutcome {
    const timer = startTimer(this.core.clock, this.core.tzOffsetMin);
    const at = this.core.clock();
    const push = (status: number, error?: string) =>
      this.record({ method, params: recorded, viaBatch, at, status, error, userId: caller.userId });
    try {
      const def = this.methods[method];
      if (!def) throw SystemErrors.methodNotFound();
      const fault = this.takeFault(method);
      if (fault) throw fault;
      if (def.scope && !hasScope(this.core.app.scope, def.scope)) throw SystemErrors.insufficientScope();
      const ok = def.handler({ core: this.core, params, caller, viaBatch, hit });
      push(200);
      return { ok, time: timer.finish() };
    } catch (e) {
      const err = e instanceof RestError ? e : SystemErrors.internal();
      if (!(e instanceof RestError)) console.error('[emulator] method failed', method, e);
      push(err.status, err.code);
      return { error: err };
    }
  }

  private takeFault(method: string | null): RestError | null {
    const i = this.faults.findIndex((f) => (method === null ? f.method === undefined : f.method === method));
    if (i < 0) return null;
    const f = this.faults[i];
    f.times -= 1;
    if (f.times <= 0) this.faults.splice(i, 1);
    return new RestError(f.status, f.error, f.description ?? '');
  }

  private authenticate(method: string, params: Params): Caller | { foreign: unknown; userId: number } {
    const token = params.auth;
    if (typeof token !== 'string' || token === '') throw SystemErrors.noAuth();
    const rec = this.core.oauth.lookupAccess(token);
    if (!rec || rec.revoked) throw SystemErrors.noAuth();
    if (rec.memberId !== this.core.memberId) {
      // This emulator doubles as oauth.bitrix.info, which answers app.info for any portal's token.
      const portal = this.core.oauth.portals.get(rec.memberId);
      if (method === 'app.info' && portal && this.core.oauth.serverBase === this.core.url) {
        if (this.core.oauth.isExpired(rec)) throw SystemErrors.expired();
        return { foreign: portal.appInfo(rec.clientId), userId: rec.userId };
      }
      throw SystemErrors.noAuth();
    }
    if (rec.clientId !== this.core.app.clientId || !this.core.state.app.present) throw SystemErrors.noAuth();
    if (this.core.oauth.isExpired(rec)) throw SystemErrors.expired();
    const user = this.core.state.users.get(rec.userId);
    const isBot = this.core.state.bots.has(rec.userId);
    return { userId: rec.userId, isAdmin: user?.admin === true, isBot, clientId: rec.clientId, token };
  }
}

function stripAuth(params: Params): Params {
  const { auth: _auth, ...rest } = params;
  return structuredClone(rest);
}

export function hasScope(granted: string, needed: string): boolean {
  const set = new Set(granted.split(/[\s,]+/).filter(Boolean));
  return set.has(needed);
}
