// `npm run demo`: the whole product on one command, with no portal, account or network.
// An emulated Bitrix24 portal, the app installed into it through the real install flow,
// and a stream of dialogs and leads; the printed URL shows the app's page inside a
// portal-like frame, exactly as Bitrix24 would show it.
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Emulator, startEmulator } from 'b24-emulator';
import { loadConfig } from '../config/index.ts';
import { type AppContext, createContext } from '../context.ts';
import { createLogger } from '../log/logger.ts';
import { handoverSettingsSchema } from '../settings/absences.ts';
import { dealSettingsSchema } from '../settings/deals.ts';
import { ownerSettingsSchema } from '../settings/owner.ts';
import { leadSettingsSchema, lineSettingsSchema, operatorsSettingsSchema } from '../settings/schema.ts';
import { demoOptions, listenError, USAGE } from './options.ts';
import { DemoScenario } from './scenario.ts';
import { demoSeed } from './seed.ts';
import { demoStatus, statusLine } from './status.ts';

const parsed = demoOptions(process.argv.slice(2));
if ('help' in parsed) {
  console.log(USAGE);
  process.exit(0);
}
if ('error' in parsed) {
  console.error(`npm run demo: ${parsed.error}\n\n${USAGE}`);
  process.exit(2);
}
const o = parsed;
const say = (line: string) => console.log(`[demo] ${line}`);
const dir = mkdtempSync(join(tmpdir(), 'b24-dispatcher-demo-'));
const clientId = 'local.demo-dispatcher';
const clientSecret = 'demo-secret';
// The app's own log (JSON lines) goes to a file, so the console stays readable.
const logPath = join(dir, 'app.log');
const logFile = createWriteStream(logPath, { flags: 'a' });

let emu: Emulator | undefined;
let ctx: AppContext | undefined;
let server: Server | undefined;
let scenario: DemoScenario | undefined;
let status: NodeJS.Timeout | undefined;

/**
 * Ctrl-C: stop the stream, then give the app and the portal a moment to finish (at most
 * 1.5 s: every run starts fresh, so nothing is lost by cutting it short); a second Ctrl-C
 * stops at once.
 */
let stopping = false;
async function stop(code = 0): Promise<never> {
  if (stopping) {
    rmSync(dir, { recursive: true, force: true });
    process.exit(code || 130);
  }
  stopping = true;
  scenario?.stop();
  if (status) clearInterval(status);
  say('stopping…');
  const graceful = (async () => {
    server?.closeAllConnections?.();
    server?.close();
    await ctx?.stop();
    await emu?.stop();
  })().catch(() => undefined);
  await Promise.race([graceful, new Promise((r) => setTimeout(r, 1500).unref())]);
  rmSync(dir, { recursive: true, force: true });
  say('stopped.');
  process.exit(code);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

async function fail(message: string): Promise<never> {
  console.error(`npm run demo: ${message}`);
  stopping = false;
  return stop(1);
}

try {
  emu = await startEmulator({
    app: { clientId, clientSecret },
    port: o.portalPort,
    seed: demoSeed(o.lang),
    language: o.lang,
    rateLimit: o.fast ? false : { drainPerSec: 2, burst: 50 },
  });
} catch (err) {
  await fail(listenError('the emulated portal', o.portalPort, err));
}
const portal = emu!;

// The app: the production context, pointed at the emulated OAuth server and portal.
server = createServer();
try {
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(o.appPort, '127.0.0.1', () => resolve());
  });
} catch (err) {
  await fail(listenError('the app', o.appPort, err));
}
const port = (server.address() as { port: number }).port;
const appUrl = `http://127.0.0.1:${port}`;
ctx = await createContext({
  config: loadConfig({
    PORT: String(port),
    PUBLIC_URL: appUrl,
    B24_CLIENT_ID: clientId,
    B24_CLIENT_SECRET: clientSecret,
    B24_OAUTH_SERVER: portal.url,
    DATABASE_PATH: join(dir, 'app.sqlite'),
    B24_ALLOW_HTTP: '1',
    LOG_LEVEL: 'info',
  }),
  log: createLogger(process.env.LOG_LEVEL ?? 'info', logFile),
});
const app = ctx;
server.on('request', app.app);
await app.start();

say(`portal emulator: ${portal.url}  (member_id ${portal.memberId})`);
say(`app:             ${appUrl}   (its log: ${logPath})`);
say('installing the app into the portal (installer page, OAuth check, installFinish)…');
const page = await portal.install({ appBaseUrl: appUrl });
if (page.status !== 200) await fail(`the install failed: the installer page answered ${page.status}`);
portal.finishInstall();
await waitUntil(async () => {
  const rows = await app.inbox.list({ memberId: portal.memberId, event: 'APP_SETUP' });
  return rows.length > 0 && rows.every((r) => r.state === 'done');
});
// Leads: the sales team, evenly, known clients to their manager.
await app.settings.write(
  portal.memberId,
  'leads',
  leadSettingsSchema,
  {
    rules: {
      mode: 'evenly',
      queue: [2, 3, 4, 5, 6, 7].map((id) => ({ id })),
      responsible: { enabled: true },
      capacity: { limit: 10 },
    },
    // Speed to lead: first contact within a minute (the demo is short), else passed on; after
    // the second miss the head of sales (Boris, user 2) is told.
    firstTouch: {
      enabled: true,
      minutes: 1,
      onBreach: 'reassign',
      escalateAfterBreaches: 2,
      supervisorId: 2,
    },
  },
  1,
);
// Deals to the same team; one owner for a chat and its lead and deal; Vera's deputy is Glen, and
// an absence hands over to the deputy.
await app.settings.write(
  portal.memberId,
  'deals',
  dealSettingsSchema,
  { enabled: true, rules: { mode: 'evenly', queue: [2, 3, 4, 5, 6, 7].map((id) => ({ id })) } },
  1,
);
await app.settings.write(portal.memberId, 'owner', ownerSettingsSchema, { policy: 'chat' }, 1);
await app.settings.write(
  portal.memberId,
  'handover',
  handoverSettingsSchema,
  { enabled: true, to: 'deputy' },
  1,
);
await app.settings.write(portal.memberId, 'operators', operatorsSettingsSchema, { '3': { deputyId: 4 } }, 1);
// Support answers within its minute (QUEUE_TIME), else the chat is passed on and both operators
// are told; on the second miss the head of support (user 8) hears of it too.
await app.settings.write(
  portal.memberId,
  'line:2',
  lineSettingsSchema,
  { firstMessage: { enabled: true, onBreach: 'reassign', escalateAfterBreaches: 2, supervisorId: 8 } },
  1,
);
say('installed: bot registered, attached to both open lines, events bound.');
say(
  o.busy
    ? `a busy day: ${o.rate} dialogs and ${o.leadRate} leads a minute, more than the operators can take.`
    : `${o.rate} dialogs and ${o.leadRate} leads a minute (--busy for a day the operators cannot keep up with).`,
);
say('');
say(
  `Open the app as the portal shows it:  ${portal.frameUrl({ lang: o.lang, user: 1, appBaseUrl: appUrl })}`,
);
say(
  `(as an operator, read-only:            ${portal.frameUrl({ lang: o.lang, user: 3, appBaseUrl: appUrl })})`,
);
say('Ctrl-C stops everything.');
say('');

scenario = new DemoScenario(portal, { rate: o.rate, leadRate: o.leadRate, lang: o.lang, log: say });
scenario.start();
const started = Date.now();
const toldBreaches = new Set<number>();
status = setInterval(() => void report(), 10_000);

async function report() {
  // The newest entry per lead says where it stands: assigned, left alone, or still waiting.
  const rows = await app.assignmentLog.recent(portal.memberId, { kind: 'lead', limit: 5000 });
  const chats = await app.assignmentLog.recent(portal.memberId, { kind: 'dialog', limit: 500 });
  // Missed first-touch and first-answer deadlines, told in words as they happen (speed to lead).
  for (const r of [...rows, ...chats].reverse().sort((a, b) => a.at - b.at)) {
    if (r.action !== 'breach' || toldBreaches.has(r.id)) continue;
    toldBreaches.add(r.id);
    const words = (r.reason as Record<string, string> | null)?.[`text_${o.lang}`];
    const what = r.kind === 'lead' ? (o.lang === 'ru' ? 'лид' : 'lead') : o.lang === 'ru' ? 'чат' : 'chat';
    if (words) say(`${what} #${r.objectId}: ${words}`);
  }
  const last = new Map<string, string>();
  for (const r of rows) if (!last.has(r.objectId) && r.action !== 'breach') last.set(r.objectId, r.action);
  const verdicts = { assigned: 0, leftAlone: 0, waiting: 0 };
  for (const action of last.values()) {
    if (action === 'assign' || action === 'pass_on') verdicts.assigned++;
    else if (action === 'wait') verdicts.waiting++;
    else verdicts.leftAlone++;
  }
  const s = demoStatus(portal, scenario!.counts.dialogs, verdicts);
  say(statusLine(Math.round((Date.now() - started) / 1000), s, o.lang));
}

if (o.duration) setTimeout(() => void stop(), o.duration * 1000);

async function waitUntil(fn: () => Promise<boolean>, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) await fail('timed out while setting up the demo');
    await new Promise((r) => setTimeout(r, 50));
  }
}
