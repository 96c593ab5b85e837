import assert from 'node:assert/strict';
import { type Emulator, startEmulator } from 'b24-emulator';
import type { Feature } from '../../src/context.ts';
import { startTestApp, TEST_CLIENT_ID, TEST_CLIENT_SECRET, type TestApp } from '../helpers/context.ts';

/**
 * The app and portal emulators on loopback, the app installed on each portal the way Bitrix24
 * does it (the installer page's POST, then installFinish). Shared by the API tests and the
 * browser test. Portal B shares portal A's OAuth server, as every cloud portal shares
 * oauth.bitrix.info.
 */
export interface PortalsHarness {
  app: TestApp;
  a: Emulator;
  b?: Emulator;
  close(): Promise<void>;
}

export async function startPortals(
  o: { language?: 'ru' | 'en'; second?: boolean; features?: Feature[] } = {},
): Promise<PortalsHarness> {
  const app0 = { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET };
  const a = await startEmulator({
    app: app0,
    language: o.language ?? 'en',
    rateLimit: false,
    timerIntervalMs: 0,
  });
  const b = o.second
    ? await startEmulator({
        app: app0,
        oauth: a.oauth,
        language: o.language ?? 'en',
        rateLimit: false,
        timerIntervalMs: 0,
      })
    : undefined;
  const app = await startTestApp({
    env: { B24_OAUTH_SERVER: a.url },
    ...(o.features ? { features: o.features } : {}),
  });
  for (const emu of [a, b]) {
    if (!emu) continue;
    const page = await emu.install({ appBaseUrl: app.url });
    assert.equal(page.status, 200, `install page answered ${page.status}: ${page.body.slice(0, 200)}`);
    emu.finishInstall();
  }
  return {
    app,
    a,
    b,
    async close() {
      await app.close();
      await a.stop();
      await b?.stop();
    },
  };
}

/** The iframe POST Bitrix24 sends to /app for `userId` on `emu` (fields as in bitrix24-rest.md §1.2). */
export function appForm(
  emu: Emulator,
  userId: number,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    AUTH_ID: emu.issueUserToken(userId),
    AUTH_EXPIRES: '3600',
    REFRESH_ID: 'refresh-not-used',
    member_id: emu.memberId,
    status: 'F',
    PLACEMENT: 'DEFAULT',
    PLACEMENT_OPTIONS: '{}',
    ...overrides,
  };
}

/** The page's JSON island: token, language, viewer, words. */
export function bootOf(html: string): any {
  const m = /<script type="application\/json" id="boot"[^>]*>([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m, 'the page carries its boot data');
  return JSON.parse(m[1]);
}
