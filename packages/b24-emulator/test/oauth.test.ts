import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { startEmulator } from '../src/index.ts';
import { APP, callRest, type Harness, manualClock, startHarness } from './helpers.ts';

async function refreshByPost(base: string, refreshToken: string, secret = APP.clientSecret) {
  const res = await fetch(`${base}/oauth/token/`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: APP.clientId,
      client_secret: secret,
      refresh_token: refreshToken,
    }),
  });
  return { status: res.status, body: (await res.json()) as any };
}

async function refreshByGet(base: string, refreshToken: string) {
  const q = new URLSearchParams({
    grant_type: 'refresh_token',
    client_id: APP.clientId,
    client_secret: APP.clientSecret,
    refresh_token: refreshToken,
  });
  const res = await fetch(`${base}/oauth/token/?${q}`);
  return { status: res.status, body: (await res.json()) as any };
}

describe('emulator OAuth server', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('answers 401 expired_token after expiry, then refreshes (POST form) with rotation', async () => {
    const clock = manualClock();
    h = await startHarness({ clock: clock.now, tokenTtlSec: 60 });
    const pair = h.emu.issueUserTokens(1);
    assert.equal((await h.call('profile', {}, pair.accessToken)).status, 200);
    clock.advance(61_000);
    const expired = await h.call('profile', {}, pair.accessToken);
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error, 'expired_token');

    const fresh = await refreshByPost(h.emu.url, pair.refreshToken!);
    assert.equal(fresh.status, 200);
    const b = fresh.body;
    assert.equal(b.client_endpoint, `${h.emu.url}/rest/`);
    assert.equal(b.server_endpoint, `${h.emu.url}/rest/`);
    assert.equal(b.member_id, h.emu.memberId);
    assert.equal(b.user_id, 1);
    assert.equal(b.expires_in, 60);
    assert.equal(b.expires, Math.floor(clock.now() / 1000) + 60);
    assert.equal(b.status, 'F');
    assert.notEqual(b.refresh_token, pair.refreshToken);
    assert.equal((await h.call('profile', {}, b.access_token)).status, 200);

    const reused = await refreshByPost(h.emu.url, pair.refreshToken!);
    assert.equal(reused.status, 400);
    assert.equal(reused.body.error, 'invalid_grant');
  });

  it('refreshes by GET with the query string too', async () => {
    h = await startHarness();
    const pair = h.emu.issueUserTokens(1);
    const res = await refreshByGet(h.emu.url, pair.refreshToken!);
    assert.equal(res.status, 200);
    assert.equal(typeof res.body.access_token, 'string');
    const again = await refreshByGet(h.emu.url, res.body.refresh_token);
    assert.equal(again.status, 200);
  });

  it('expireAccessTokens() expires every current token at once', async () => {
    h = await startHarness();
    h.emu.expireAccessTokens();
    const r = await h.call('profile');
    assert.equal(r.status, 401);
    assert.equal(r.body.error, 'expired_token');
  });

  it('rejects a wrong secret and unknown refresh tokens', async () => {
    h = await startHarness();
    const pair = h.emu.issueUserTokens(1);
    const badSecret = await refreshByPost(h.emu.url, pair.refreshToken!, 'nope');
    assert.equal(badSecret.body.error, 'invalid_client');
    const unknown = await refreshByPost(h.emu.url, 'garbage');
    assert.equal(unknown.body.error, 'invalid_grant');
    const noGrant = await fetch(`${h.emu.url}/oauth/token/`, { method: 'POST' });
    assert.equal(((await noGrant.json()) as any).error, 'invalid_request');
  });

  it('exchanges an authorization code once', async () => {
    h = await startHarness();
    const code = h.emu.issueAuthCode(2);
    const q = new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: APP.clientId,
      client_secret: APP.clientSecret,
      code,
    });
    const first = (await (await fetch(`${h.emu.url}/oauth/token/?${q}`)).json()) as any;
    assert.equal(first.user_id, 2);
    const profile = await h.call('profile', {}, first.access_token);
    assert.equal(profile.body.result.ADMIN, false);
    const second = (await (await fetch(`${h.emu.url}/oauth/token/?${q}`)).json()) as any;
    assert.equal(second.error, 'invalid_grant');
  });

  it('after uninstall old tokens answer NO_AUTH_FOUND and refresh answers invalid_client', async () => {
    h = await startHarness();
    const pair = h.emu.issueUserTokens(1);
    h.emu.uninstall();
    const call = await h.call('profile', {}, pair.accessToken);
    assert.equal(call.status, 401);
    assert.equal(call.body.error, 'NO_AUTH_FOUND');
    const refresh = await refreshByPost(h.emu.url, pair.refreshToken!);
    assert.equal(refresh.body.error, 'invalid_client');
  });

  it("one OAuth registry serves two portals; each portal refuses the other one's tokens", async () => {
    h = await startHarness();
    const second = await startEmulator({
      app: APP,
      oauth: h.emu.oauth,
      rateLimit: false,
      timerIntervalMs: 0,
    });
    try {
      await second.install({ appBaseUrl: h.app.url });
      const pairB = second.issueUserTokens(1);
      // the refresh happens at portal A's OAuth server and yields portal B's endpoint
      const fresh = await refreshByPost(h.emu.url, pairB.refreshToken!);
      assert.equal(fresh.body.client_endpoint, `${second.url}/rest/`);
      assert.equal(fresh.body.server_endpoint, `${h.emu.url}/rest/`);
      assert.equal((await callRest(second, 'profile', {}, fresh.body.access_token)).status, 200);
      assert.equal((await h.call('profile', {}, fresh.body.access_token)).body.error, 'NO_AUTH_FOUND');
      // the OAuth server answers app.info for any portal's token
      const info = await h.call('app.info', {}, fresh.body.access_token);
      assert.equal(info.status, 200);
      assert.equal(info.body.result.INSTALLED, false);
    } finally {
      await second.stop();
    }
  });
});
