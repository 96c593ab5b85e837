import { type Emulator, type EmulatorOptions, startEmulator } from 'b24-emulator';
import { startTestApp, TEST_CLIENT_ID, TEST_CLIENT_SECRET, type TestApp, waitFor } from './context.ts';

/** A fetch that counts the app's requests to the OAuth server (token refreshes). */
export function countingFetch() {
  const counter = { oauth: 0 };
  const f: typeof fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes('/oauth/token/')) counter.oauth++;
    return fetch(input, init);
  };
  return { fetch: f, counter };
}

export interface Stack {
  emu: Emulator;
  app: TestApp;
  oauthRefreshes: { oauth: number };
  close(): Promise<void>;
}

/**
 * The real app and an emulated portal, both on loopback, wired like production: the app's
 * B24_OAUTH_SERVER is the emulator's OAuth server. `install: true` runs the real install
 * flow (iframe POST to /install, installFinish) and waits for the portal setup to finish.
 */
export async function startStack(
  o: {
    emulator?: Partial<EmulatorOptions>;
    app?: Parameters<typeof startTestApp>[0];
    install?: boolean;
  } = {},
): Promise<Stack> {
  const emu = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: false,
    timerIntervalMs: 0,
    ...o.emulator,
  });
  const { fetch: f, counter } = countingFetch();
  const app = await startTestApp({ fetch: f, ...o.app, env: { B24_OAUTH_SERVER: emu.url, ...o.app?.env } });
  if (o.install !== false) await installApp(emu, app);
  return {
    emu,
    app,
    oauthRefreshes: counter,
    async close() {
      await app.close();
      await emu.stop();
    },
  };
}

/** The install an administrator does: the installer page, then installFinish, then setup. */
export async function installApp(emu: Emulator, app: TestApp): Promise<void> {
  const page = await emu.install({ appBaseUrl: app.url });
  if (page.status !== 200)
    throw new Error(`install page answered ${page.status}: ${page.body.slice(0, 300)}`);
  emu.finishInstall();
  await waitFor(
    async () =>
      (await app.ctx.inbox.list({ memberId: emu.memberId, event: 'APP_SETUP' })).every(
        (r) => r.state === 'done',
      ),
    'portal setup',
  );
  const dead = await app.ctx.inbox.listDead(emu.memberId);
  if (dead.length > 0) throw new Error(`setup failed: ${dead.map((d) => d.lastError).join('; ')}`);
}
