/**
 * `npm run emulator`: a seeded Bitrix24 portal + OAuth server on 127.0.0.1 for local work.
 *   --port 8024  --client-id local.dispatcher  --client-secret emulator-secret  --lang ru|en
 *   --install <appBaseUrl>   play the installer POST at start (then open the printed page or pass --finish)
 *   --finish                 also finish the installation (as installFinish() would)
 *   --quiet                  do not print REST calls and event deliveries
 *   --now <ISO-8601>         the portal's clock starts at this instant and runs on from there
 */
import { parseArgs } from 'node:util';
import { portalClock, startEmulator } from './index.ts';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8024' },
    'client-id': { type: 'string', default: 'local.dispatcher' },
    'client-secret': { type: 'string', default: 'emulator-secret' },
    lang: { type: 'string', default: 'ru' },
    install: { type: 'string' },
    finish: { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
    now: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
});

if (values.help) {
  console.log(
    'usage: npx b24-emulator [--port N] [--client-id ID] [--client-secret S] [--lang ru|en] [--install URL [--finish]] [--now ISO-8601] [--quiet]',
  );
  process.exit(0);
}

const port = Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a port number, got "${values.port}"`);
  process.exit(2);
}
const language = values.lang === 'en' ? 'en' : 'ru';
const clientId = values['client-id'] ?? 'local.dispatcher';
const clientSecret = values['client-secret'] ?? 'emulator-secret';

const startAt = values.now === undefined ? undefined : Date.parse(values.now);
if (startAt !== undefined && !Number.isFinite(startAt)) {
  console.error(`--now must be an ISO-8601 instant (e.g. 2030-05-01T10:00:00+03:00), got "${values.now}"`);
  process.exit(2);
}

const emu = await startEmulator({
  app: { clientId, clientSecret },
  clock: startAt === undefined ? undefined : portalClock({ start: startAt, running: true }).now,
  port,
  language,
  onCall: values.quiet
    ? undefined
    : (c) =>
        console.log(
          `REST  ${c.status}  ${c.viaBatch ? '  ↳ ' : ''}${c.method}${c.error ? `  ${c.error}` : ''}`,
        ),
  onDelivery: values.quiet
    ? undefined
    : (d) =>
        console.log(
          `EVENT ${d.event} → ${d.url}  ${d.outcome}${d.status ? ` ${d.status}` : ''}${d.error ? ` (${d.error})` : ''}`,
        ),
});

const appUrl = values.install ?? 'http://127.0.0.1:3000';
console.log(`Bitrix24 portal emulator on ${emu.url}
  member_id       ${emu.memberId}
  REST            ${emu.clientEndpoint}<method>
  OAuth server    ${emu.url}/oauth/token/
  app             client_id=${clientId} client_secret=${clientSecret}

Point an app at it:
  B24_CLIENT_ID=${clientId} B24_CLIENT_SECRET=${clientSecret} \\
  B24_OAUTH_SERVER=${emu.url} B24_ALLOW_HTTP=1 PUBLIC_URL=${appUrl} npm start
Install it as the portal admin (the page loads the app's /install in an iframe):
  ${emu.frameUrl({ path: '/install', user: 1, appBaseUrl: appUrl })}
Open the app as an ordinary user:
  ${emu.frameUrl({ path: '/app', user: 3, appBaseUrl: appUrl })}
Ctrl-C stops it.`);

if (values.install) {
  try {
    const res = await emu.install({ appBaseUrl: values.install });
    console.log(`installer POST ${values.install}/install → HTTP ${res.status}`);
    if (values.finish) {
      emu.finishInstall();
      console.log('installation finished (ONAPPINSTALL sent to bound handlers)');
    }
  } catch (e) {
    console.error(`install failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping…');
  await emu.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
