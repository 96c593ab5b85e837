// `npm run demo`: the whole product on one command, with no portal, account or network.
// An emulated Bitrix24 portal, the app installed into it through the real install flow,
// and a stream of dialogs and leads; the printed URL shows the app's page inside a
// portal-like frame, exactly as Bitrix24 would show it.
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.ts';
import { createContext } from '../context.ts';
import { startEmulator } from 'b24-emulator';
import { createLogger } from '../log/logger.ts';
import { leadSettingsSchema } from '../settings/schema.ts';
import { DemoScenario } from './scenario.ts';
import { demoSeed } from './seed.ts';

const USAGE = `npm run demo -- [--rate N] [--lead-rate N] [--lang ru|en] [--port N] [--portal-port N] [--duration S] [--fast]
  --rate         new dialogs per minute (default 30)
  --lead-rate    new leads per minute (default 6)
  --lang         the portal's language (default ru)
  --port         the app's port (default 3000; 0 = any free port)
  --portal-port  the emulated portal's port (default 3001; 0 = any free port)
  --duration     stop by itself after S seconds (default: run until Ctrl-C)
  --fast         lift the portal's 2 requests/s limit (default: the real limit)`;

const { values: a } = parseArgs({
  options: {
    rate: { type: 'string', default: '30' },
    'lead-rate': { type: 'string', default: '6' },
    lang: { type: 'string', default: 'ru' },
    port: { type: 'string', default: '3000' },
    'portal-port': { type: 'string', default: '3001' },
    duration: { type: 'string' },
    fast: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (a.help) {
  console.log(USAGE);
  process.exit(0);
}
const num = (name: string, v: string | undefined, min: number) => {
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) {
    console.error(`--${name} must be a number ≥ ${min}\n${USAGE}`);
    process.exit(2);
  }
  return n;
};
const rate = num('rate', a.rate, 0);
const leadRate = num('lead-rate', a['lead-rate'], 0);
const appPort = num('port', a.port, 0);
const portalPort = num('portal-port', a['portal-port'], 0);
const duration = a.duration === undefined ? undefined : num('duration', a.duration, 1);
const lang = a.lang === 'en' ? 'en' : 'ru';

const say = (line: string) => console.log(`[demo] ${line}`);
const dir = mkdtempSync(join(tmpdir(), 'b24-dispatcher-demo-'));
const clientId = 'local.demo-dispatcher';
const clientSecret = 'demo-secret';

const emu = await startEmulator({
  app: { clientId, clientSecret },
  port: portalPort,
  seed: demoSeed(lang),
  language: lang,
  rateLimit: a.fast ? false : { drainPerSec: 2, burst: 50 },
});

// The app: the production context, pointed at the emulated OAuth server and portal.
const { createServer } = await import('node:http');
const server: Server = createServer();
await new Promise<void>((resolve, reject) => {
  server.once('error', reject);
  server.listen(appPort, '127.0.0.1', () => resolve());
});
const port = (server.address() as { port: number }).port;
const appUrl = `http://127.0.0.1:${port}`;
const ctx = await createContext({
  config: loadConfig({
    PORT: String(port),
    PUBLIC_URL: appUrl,
    B24_CLIENT_ID: clientId,
    B24_CLIENT_SECRET: clientSecret,
    B24_OAUTH_SERVER: emu.url,
    DATABASE_PATH: join(dir, 'app.sqlite'),
    B24_ALLOW_HTTP: '1',
    LOG_LEVEL: 'warn',
  }),
  log: createLogger(process.env.LOG_LEVEL ?? 'warn'),
});
server.on('request', ctx.app);
await ctx.start();

say(`portal emulator: ${emu.url}  (member_id ${emu.memberId})`);
say(`app:             ${appUrl}`);
say('installing the app into the portal (installer page, OAuth check, installFinish)…');
const page = await emu.install({ appBaseUrl: appUrl });
if (page.status !== 200) throw new Error(`install failed: ${page.status}`);
emu.finishInstall();
await waitUntil(async () => {
  const rows = await ctx.inbox.list({ memberId: emu.memberId, event: 'APP_SETUP' });
  return rows.length > 0 && rows.every((r) => r.state === 'done');
});
// Leads: the sales team, evenly, known clients to their manager.
await ctx.settings.write(
  emu.memberId,
  'leads',
  leadSettingsSchema,
  {
    rules: {
      mode: 'evenly',
      queue: [2, 3, 4, 5, 6, 7].map((id) => ({ id })),
      responsible: { enabled: true },
      capacity: { limit: 10 },
    },
  },
  1,
);
say('installed: bot registered, attached to both open lines, events bound.');
say('');
say(`Open the app as the portal shows it:  ${emu.frameUrl({ lang, user: 1, appBaseUrl: appUrl })}`);
say(`(as an operator, read-only:            ${emu.frameUrl({ lang, user: 3, appBaseUrl: appUrl })})`);
say('');

const scenario = new DemoScenario(emu, { rate, leadRate, lang, log: say });
scenario.start();
const started = Date.now();
const status = setInterval(() => void report(), 10_000);

async function report() {
  const perOperator = await ctx.assignmentLog.assignmentsPerOperator(emu.memberId, started);
  const dialogs = perOperator.filter((r) => r.kind === 'dialog').reduce((n, r) => n + r.n, 0);
  const leads = perOperator.filter((r) => r.kind === 'lead').reduce((n, r) => n + r.n, 0);
  say(
    `${Math.round((Date.now() - started) / 1000)} s: ${scenario.counts.dialogs} dialogs started, ${dialogs} assignments; ` +
      `${scenario.counts.leads} leads, ${leads} assigned; ${scenario.counts.answers} answers, ${scenario.counts.closed} closed`,
  );
}

let stopping = false;
async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  scenario.stop();
  clearInterval(status);
  await report().catch(() => undefined);
  say('stopping…');
  server.closeAllConnections?.();
  await new Promise<void>((r) => server.close(() => r()));
  await ctx.stop();
  await emu.stop();
  rmSync(dir, { recursive: true, force: true });
  say('stopped cleanly.');
  process.exit(code);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
if (duration) setTimeout(() => void stop(), duration * 1000);

async function waitUntil(fn: () => Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out while setting up the demo');
    await new Promise((r) => setTimeout(r, 50));
  }
}
