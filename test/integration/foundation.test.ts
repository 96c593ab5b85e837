import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startEmulator } from 'b24-emulator';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, formEncode, waitFor } from '../helpers/context.ts';
import { installApp, type Stack, startStack } from '../helpers/emulator.ts';

describe('install through the installer page', () => {
  let s: Stack;
  before(async () => {
    s = await startStack();
  });
  after(() => s.close());

  test('stores the portal as the OAuth server describes it, with rotated tokens', async () => {
    const inst = await s.app.ctx.store.find(s.emu.memberId);
    assert.ok(inst);
    assert.equal(inst.status, 'active');
    assert.equal(inst.clientEndpoint, s.emu.clientEndpoint);
    assert.equal(inst.domain, s.emu.domain);
    assert.equal(inst.applicationToken, s.emu.state.app.applicationToken);
    assert.ok(inst.expiresAt * 1000 > Date.now());
    assert.equal(s.oauthRefreshes.oauth, 1, 'the posted refresh token was spent once to verify the install');
  });

  test('setup binds the manifest events to $PUBLIC_URL/events, online and offline', async () => {
    const bound = await (await s.app.ctx.clients.get(s.emu.memberId)).call<any[]>('event.get');
    const handler = `${s.app.url}/events`;
    for (const e of s.app.ctx.manifest.events.online) {
      assert.ok(
        bound.some((b) => b.event === e && b.handler === handler),
        `${e} is bound online`,
      );
    }
    for (const e of s.app.ctx.manifest.events.offline) {
      assert.ok(
        bound.some((b) => b.event === e && Number(b.offline) === 1),
        `${e} is bound offline`,
      );
    }
  });

  test('a second install is idempotent: no duplicate bindings', async () => {
    const before = (await (await s.app.ctx.clients.get(s.emu.memberId)).call<any[]>('event.get')).length;
    await installApp(s.emu, s.app);
    const after = (await (await s.app.ctx.clients.get(s.emu.memberId)).call<any[]>('event.get')).length;
    assert.equal(after, before);
    assert.equal((await s.app.ctx.store.listActive()).length, 1);
  });

  test('expired_token → exactly one refresh, and the new tokens are stored', async () => {
    const client = await s.app.ctx.clients.get(s.emu.memberId);
    const stored = await s.app.ctx.store.find(s.emu.memberId);
    s.emu.expireAccessTokens();
    const refreshes = s.oauthRefreshes.oauth;
    const profile = await client.call('profile');
    assert.ok(profile.ID);
    assert.equal(s.oauthRefreshes.oauth - refreshes, 1);
    const now = await s.app.ctx.store.find(s.emu.memberId);
    assert.notEqual(now?.refreshToken, stored?.refreshToken);
    assert.notEqual(now?.accessToken, stored?.accessToken);
  });

  test('100 concurrent calls on an expired token share one refresh', async () => {
    const client = await s.app.ctx.clients.get(s.emu.memberId);
    s.emu.expireAccessTokens();
    const refreshes = s.oauthRefreshes.oauth;
    const results = await Promise.all(Array.from({ length: 100 }, () => client.call('server.time')));
    assert.equal(results.length, 100);
    assert.equal(s.oauthRefreshes.oauth - refreshes, 1);
  });

  test('a refresh that another process already did is adopted, not repeated', async () => {
    // Two clients for one portal, as two processes would have: one refreshes, the other
    // finds the newer tokens in the store instead of spending its own rotated-away token.
    const { SdkPortalClient } = await import('../../src/portal/client.ts');
    const { FAST_RESTRICTIONS } = await import('../helpers/context.ts');
    const inst = (await s.app.ctx.store.find(s.emu.memberId))!;
    const a = new SdkPortalClient(inst, TEST_CLIENT_ID, s.app.ctx.refresher, FAST_RESTRICTIONS);
    const b = new SdkPortalClient(inst, TEST_CLIENT_ID, s.app.ctx.refresher, FAST_RESTRICTIONS);
    s.emu.expireAccessTokens();
    const refreshes = s.oauthRefreshes.oauth;
    await a.call('server.time');
    await b.call('server.time');
    assert.equal(s.oauthRefreshes.oauth - refreshes, 1);
  });

  test('ONAPPUNINSTALL from the portal marks the portal uninstalled; its events are refused after', async () => {
    s.emu.uninstall();
    await waitFor(
      async () => (await s.app.ctx.store.find(s.emu.memberId))?.status === 'uninstalled',
      'uninstall',
    );
    const res = await fetch(`${s.app.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formEncode({
        event: 'ONCRMLEADADD',
        data: { FIELDS: { ID: '1' } },
        auth: { member_id: s.emu.memberId, application_token: s.emu.state.app.applicationToken },
      }),
    });
    assert.equal(res.status, 401);
  });
});

describe('install through ONAPPINSTALL alone', () => {
  test('the event installs the portal, verified at the OAuth server', async () => {
    const s = await startStack({ install: false });
    try {
      s.emu.state.app.appBaseUrl = s.app.url;
      // The version card's "installation event handler URL" receives ONAPPINSTALL; the
      // installer page is never opened (it answers 404 here).
      const page = await s.emu.install({ appBaseUrl: s.app.url, installPath: '/not-the-installer' });
      assert.equal(page.status, 404);
      assert.equal(await s.app.ctx.store.find(s.emu.memberId), undefined);
      (s.emu as any).finishInstallTo?.(`${s.app.url}/events`);
      await deliverInstallEvent(s);
      const inst = await waitFor(() => s.app.ctx.store.find(s.emu.memberId), 'installation');
      assert.equal(inst.status, 'active');
      assert.equal(inst.applicationToken, s.emu.state.app.applicationToken);
    } finally {
      await s.close();
    }
  });
});

/** Posts ONAPPINSTALL the way the portal does, with tokens issued to the installing admin. */
async function deliverInstallEvent(s: Stack) {
  const t = s.emu.issueUserTokens(1);
  const res = await fetch(`${s.app.url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: formEncode({
      event: 'ONAPPINSTALL',
      data: { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'ru' },
      ts: String(Math.floor(Date.now() / 1000)),
      auth: {
        access_token: t.accessToken,
        refresh_token: t.refreshToken,
        expires_in: '3600',
        scope: 'crm imopenlines',
        domain: s.emu.domain,
        server_endpoint: `${s.emu.url}/rest/`,
        client_endpoint: s.emu.clientEndpoint,
        member_id: s.emu.memberId,
        application_token: s.emu.state.app.applicationToken,
      },
    }),
  });
  assert.equal(res.status, 200, await res.text());
}

describe('forged installs change nothing', () => {
  test('a bad refresh token for an existing portal is refused', async () => {
    const s = await startStack();
    try {
      const before = await s.app.ctx.store.find(s.emu.memberId);
      const res = await fetch(`${s.app.url}/install`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          AUTH_ID: 'x',
          REFRESH_ID: 'stolen-or-made-up',
          APPLICATION_TOKEN: 'attacker-token',
          member_id: s.emu.memberId,
          DOMAIN: 'evil.example.com',
        }),
      });
      assert.equal(res.status, 401);
      assert.deepEqual(await s.app.ctx.store.find(s.emu.memberId), before);
    } finally {
      await s.close();
    }
  });

  test("another portal's valid tokens posted under this portal's member_id are refused", async () => {
    const s = await startStack();
    const other = await startEmulator({
      app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
      oauth: s.emu.oauth,
      rateLimit: false,
      timerIntervalMs: 0,
    });
    try {
      const before = await s.app.ctx.store.find(s.emu.memberId);
      // A real install on the attacker's own portal gives them genuine tokens…
      await other.install({ appBaseUrl: 'http://127.0.0.1:9', installPath: '/' }).catch(() => undefined);
      const t = other.issueUserTokens(1);
      // …which they post claiming to be the victim portal.
      const res = await fetch(`${s.app.url}/install?DOMAIN=${s.emu.domain}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          AUTH_ID: t.accessToken,
          REFRESH_ID: t.refreshToken ?? '',
          APPLICATION_TOKEN: 'attacker-token',
          member_id: s.emu.memberId,
        }),
      });
      assert.equal(res.status, 400);
      assert.deepEqual(await s.app.ctx.store.find(s.emu.memberId), before, 'the victim portal is untouched');
      assert.equal(await s.app.ctx.store.find(other.memberId), undefined, 'nothing stored under the claim');
    } finally {
      await other.stop();
      await s.close();
    }
  });
});

describe('rate limit', () => {
  test('a burst of 200 calls completes under the portal limit with no QUERY_LIMIT_EXCEEDED surfacing', async () => {
    // The emulator enforces a leaky bucket (scaled up from 2/s and 50 so the test takes seconds,
    // not a minute). The client is given a quarter less of both: requests that leave paced can
    // still arrive bunched when the machine is busy, and the headroom is what keeps the client's
    // pace, not the emulator's clock, the thing under test.
    const limits = { drainPerSec: 40, burst: 20 };
    const paced = { drainPerSec: 30, burst: 15 };
    const s = await startStack({
      emulator: { rateLimit: limits },
      app: {
        restrictions: {
          rateLimit: { burstLimit: paced.burst, drainRate: paced.drainPerSec, adaptiveEnabled: false },
          operatingLimit: { windowMs: 600000, limitMs: 480000, heavyPercent: 80 },
          adaptiveConfig: { enabled: false, thresholdPercent: 100, coefficient: 0, maxDelay: 0 },
          maxRetries: 3,
          retryDelay: 100,
          retryOnNetworkError: true,
        },
      },
    });
    try {
      const client = await s.app.ctx.clients.get(s.emu.memberId);
      s.emu.resetCalls();
      const results = await Promise.allSettled(
        Array.from({ length: 200 }, (_, i) => client.call('server.time', { i })),
      );
      const failed = results.filter((r) => r.status === 'rejected');
      assert.equal(
        failed.length,
        0,
        `no call failed: ${failed.map((f: any) => f.reason?.message).join('; ')}`,
      );
      const limited = s.emu.calls.filter((c) => c.error === 'QUERY_LIMIT_EXCEEDED').length;
      assert.ok(limited <= 10, `the client paced itself (the portal refused ${limited})`);
    } finally {
      await s.close();
    }
  });
});
