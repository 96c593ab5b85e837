import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { DEFAULT_APP_STATUS, DEFAULT_TZ_OFFSET_MIN } from './assumptions.ts';
import type { EmulatorCore } from './core.ts';
import type { Hit } from './portal-core.ts';
import { type DeliveryRecord, DeliveryQueue } from './events/delivery.ts';
import { EventBus } from './events/bus.ts';
import { createFrameHost } from './frame-host.ts';
import { createPortalServer } from './http/server.ts';
import {
  finishInstall,
  type InstallOptions,
  issueTokensFor,
  type PageAnswer,
  playInstall,
  uninstall,
  updateApp,
} from './install.ts';
import { allMethods } from './methods/index.ts';
import { appInfoResult } from './methods/system.ts';
import type { PortalState } from './model.ts';
import { type IssuedTokens, OAuthRegistry } from './oauth-registry.ts';
import { OpenLinesEngine } from './openlines/engine.ts';
import { runBatch } from './rest/batch.ts';
import { type CallRecord, type FaultSpec, RestPipeline } from './rest/pipeline.ts';
import type { HeldAnswers, HoldMatch, WireFaultSpec } from './rest/wire-faults.ts';
import type { RateLimitSettings } from './rest/rate-limiter.ts';
import { buildState, defaultSeed, type PortalSeed } from './seed.ts';
import { createSimulation, type Simulation } from './sim.ts';

export interface EmulatorAppOptions {
  clientId: string;
  clientSecret: string;
  /** comma-separated scopes granted to the app */
  scope?: string;
  /** app status letter (F free, P paid, L local, …); default F */
  status?: string;
  code?: string;
  /** the version card's "Installation event handler URL": gets ONAPPINSTALL without event.bind */
  installHandlerUrl?: string;
}

export interface EmulatorOptions {
  app: EmulatorAppOptions;
  /** 0/undefined = ephemeral; always bound to 127.0.0.1 */
  port?: number;
  /** unix ms; default Date.now */
  clock?: () => number;
  /** default { drainPerSec: 2, burst: 50 }; false = off */
  rateLimit?: RateLimitSettings | false;
  /** added to every REST answer */
  latencyMs?: number;
  /** access token lifetime, default 3600 */
  tokenTtlSec?: number;
  /** share another emulator's OAuth server (multi-portal tests) */
  oauth?: OAuthRegistry;
  seed?: PortalSeed;
  memberId?: string;
  language?: 'ru' | 'en';
  /** portal time zone as minutes east of UTC; default +180 */
  tzOffsetMinutes?: number;
  /** extra delay before each event delivery leaves the queue; default 0 */
  eventDelayMs?: number;
  /** how often the internal timer evaluates WELCOME_BOT_TIME etc. (real ms); 0 = never; default 1000 */
  timerIntervalMs?: number;
  /** fetch used for event delivery (tests may wrap it) */
  fetch?: typeof fetch;
  /** observer of every REST call as it is recorded */
  onCall?: (rec: CallRecord) => void;
  /** observer of every event delivery when it settles (or is dropped) */
  onDelivery?: (rec: DeliveryRecord) => void;
}

export const DEFAULT_SCOPE = 'crm,imopenlines,imbot,im,user,department,timeman,placement';

export interface Emulator {
  readonly url: string;
  readonly domain: string;
  readonly memberId: string;
  readonly clientEndpoint: string;
  readonly oauth: OAuthRegistry;
  readonly state: PortalState;
  readonly calls: CallRecord[];
  readonly httpRequests: number;
  readonly deliveries: DeliveryRecord[];
  readonly sim: Simulation;
  resetCalls(): void;
  install(opts: InstallOptions): Promise<PageAnswer>;
  finishInstall(): void;
  /** a new version installed by an administrator (default: the installer): ONAPPUPDATE */
  update(opts?: { userId?: number }): void;
  /** `lost: true` plays an ONAPPUNINSTALL the app never received (the queue does not retry) */
  uninstall(opts?: { clean?: boolean; lost?: boolean }): void;
  issueUserToken(userId: number): string;
  issueUserTokens(userId: number): IssuedTokens;
  /** an authorization code for the full OAuth flow (valid 30 s), exchanged at /oauth/token/ */
  issueAuthCode(userId: number): string;
  expireAccessTokens(): void;
  injectFault(f: FaultSpec): void;
  clearFaults(): void;
  /** the portal does the work, then the answer is lost (reset or never sent): wire-faults.ts */
  injectWireFault(f: WireFaultSpec): void;
  clearWireFaults(): void;
  /** matching requests are done and their answers held until release() (kill the app meanwhile) */
  holdAnswers(match?: HoldMatch): HeldAnswers;
  /** how many answers were lost on purpose so far */
  readonly lostAnswers: { reset: number; hang: number };
  setLatency(ms: number): void;
  setRateLimit(settings: RateLimitSettings | false): void;
  /** URL of the iframe host page for a user */
  frameUrl(opts?: { path?: string; user?: number; lang?: 'ru' | 'en'; appBaseUrl?: string }): string;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions): Promise<Emulator> {
  const clock = opts.clock ?? Date.now;
  const language = opts.language ?? 'ru';
  const registry = opts.oauth ?? new OAuthRegistry({ clock });
  const app = {
    clientId: opts.app.clientId,
    clientSecret: opts.app.clientSecret,
    scope: opts.app.scope ?? DEFAULT_SCOPE,
    status: opts.app.status ?? DEFAULT_APP_STATUS,
    code: opts.app.code ?? 'local.emulated_app',
  };
  registry.registerApp({ clientId: app.clientId, clientSecret: app.clientSecret, scope: app.scope });
  const state = buildState(opts.seed ?? defaultSeed(language), clock(), language);
  const deliveries = new DeliveryQueue(clock, opts.fetch ?? fetch, opts.eventDelayMs ?? 0);
  deliveries.onRecord = opts.onDelivery;

  // The server is created before the core because the URL (port) is known only after listen().
  let pipeline: RestPipeline | null = null;
  let frameHost: ReturnType<typeof createFrameHost> | null = null;
  let core: EmulatorCore | null = null;
  const server = createPortalServer({
    rest: async (method, params) => {
      const a = await pipeline!.handle(method, params);
      return { status: a.status, body: a.body, drop: a.drop };
    },
    oauthToken: (params) => registry.token(params),
    oauthAuthorize: (params) => authorize(core!, params),
    frame: async (req) => frameHost!.handle(req),
    index: () => ({ status: 200, body: indexText(core!) }),
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const domain = `127.0.0.1:${port}`;
  const memberId = opts.memberId ?? randomBytes(16).toString('hex');
  let hitSeq = 0;
  const partial = {
    clock,
    tzOffsetMin: opts.tzOffsetMinutes ?? DEFAULT_TZ_OFFSET_MIN,
    language,
    memberId,
    domain,
    url,
    clientEndpoint: `${url}/rest/`,
    app,
    tokenTtlSec: opts.tokenTtlSec ?? 3600,
    state,
    oauth: registry,
    deliveries,
    newHit: (authConnector = ''): Hit => ({ id: ++hitSeq, authConnector }),
  };
  const c = partial as unknown as { -readonly [K in keyof EmulatorCore]: EmulatorCore[K] };
  c.events = new EventBus(c);
  c.lines = new OpenLinesEngine(c);
  core = c;
  registry.serverBase ??= url;
  registry.attachPortal({
    memberId,
    domain,
    clientEndpoint: c.clientEndpoint,
    tokenTtlSec: c.tokenTtlSec,
    appStatus: (clientId) => (clientId === app.clientId && state.app.present ? app.status : null),
    appInfo: () => appInfoResult(c),
  });
  pipeline = new RestPipeline(
    c,
    allMethods(),
    { rateLimit: opts.rateLimit ?? { drainPerSec: 2, burst: 50 }, latencyMs: opts.latencyMs ?? 0 },
    runBatch,
  );
  pipeline.onCall = opts.onCall;
  const doFinishInstall = () => finishInstall(c, opts.app.installHandlerUrl);
  frameHost = createFrameHost(c, doFinishInstall);
  const sim = createSimulation(c);

  const interval = opts.timerIntervalMs ?? 1000;
  const timer = interval > 0 ? setInterval(() => safeRun(() => c.lines.runTimers()), interval) : null;
  timer?.unref();

  const p = pipeline;
  const fh = frameHost;
  return {
    url,
    domain,
    memberId,
    clientEndpoint: c.clientEndpoint,
    oauth: registry,
    state,
    get calls() {
      return p.calls;
    },
    get httpRequests() {
      return p.httpRequests;
    },
    get deliveries() {
      return deliveries.records;
    },
    sim,
    resetCalls: () => p.resetCalls(),
    install: (o) => playInstall(c, o),
    finishInstall: doFinishInstall,
    uninstall: (o) => uninstall(c, o),
    update: (o) => updateApp(c, o),
    issueUserToken: (userId) => issueTokensFor(c, userId).accessToken,
    issueUserTokens: (userId) => issueTokensFor(c, userId),
    issueAuthCode: (userId) => {
      if (!state.app.present) throw new Error('the app is not installed on this portal');
      return registry.issueCode(memberId, app.clientId, userId);
    },
    expireAccessTokens: () => registry.expireAccessTokens(memberId),
    injectFault: (f) => p.injectFault(f),
    injectWireFault: (f) => p.wire.add(f),
    clearWireFaults: () => p.wire.clear(),
    holdAnswers: (match) => p.wire.hold(match),
    get lostAnswers() {
      return { ...p.wire.dropped };
    },
    clearFaults: () => p.clearFaults(),
    setLatency: (ms) => {
      p.latencyMs = ms;
    },
    setRateLimit: (s) => p.bucket.configure(s),
    frameUrl: (o) => fh.pageUrl(o),
    idle: () => deliveries.idle(),
    stop: async () => {
      if (timer) clearInterval(timer);
      await deliveries.idle();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function safeRun(fn: () => void): void {
  try {
    fn();
  } catch (e) {
    console.error('[emulator] timer failed', e);
  }
}

/** /oauth/authorize/: the full OAuth flow's first step, answered at once for the given user. */
function authorize(core: EmulatorCore, params: Record<string, unknown>) {
  const clientId = String(params.client_id ?? '');
  if (clientId !== core.app.clientId || !core.state.app.present) {
    return {
      status: 400,
      body: { error: 'invalid_client', error_description: 'Application is not installed' },
    };
  }
  const userId = Number(params.user) || core.state.app.installedBy || 1;
  const code = core.oauth.issueCode(core.memberId, clientId, userId);
  const answer = {
    code,
    state: String(params.state ?? ''),
    domain: core.domain,
    member_id: core.memberId,
    scope: core.app.scope,
    server_domain: core.oauth.serverDomain,
  };
  const redirect = String(params.redirect_uri ?? '');
  if (!redirect) return { status: 200, body: answer };
  const to = new URL(redirect);
  for (const [k, v] of Object.entries(answer)) to.searchParams.set(k, v);
  return { status: 302, headers: { Location: to.toString() }, body: '' };
}

function indexText(core: EmulatorCore): string {
  return [
    'Bitrix24 portal emulator',
    `portal:          ${core.url}  (member_id ${core.memberId})`,
    `REST:            ${core.clientEndpoint}<method>`,
    `OAuth server:    ${core.oauth.serverBase}/oauth/token/`,
    `iframe host:     ${core.url}/emulator/app?path=/app&user=1`,
    `app installed:   ${core.state.app.present ? (core.state.app.installed ? 'yes' : 'installer not finished') : 'no'}`,
    '',
  ].join('\n');
}
