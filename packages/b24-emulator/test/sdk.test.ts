import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { B24OAuth, EnumAppStatus } from '@bitrix24/b24jssdk';
import { defaultSeed } from '../src/index.ts';
import { APP, type Harness, startHarness } from './helpers.ts';

const FAST = {
  rateLimit: { burstLimit: 1e6, drainRate: 1e6, adaptiveEnabled: false },
  adaptiveConfig: { enabled: false, thresholdPercent: 100, coefficient: 0, maxDelay: 0 },
  maxRetries: 1,
  retryDelay: 0,
};

function sdkFor(h: Harness, clientEndpoint: string): B24OAuth {
  const t = h.emu.issueUserTokens(1);
  const b24 = new B24OAuth(
    {
      applicationToken: h.emu.state.app.applicationToken,
      userId: 1,
      memberId: h.emu.memberId,
      accessToken: t.accessToken,
      refreshToken: t.refreshToken!,
      expires: t.expires,
      expiresIn: t.expiresIn,
      scope: t.scope,
      domain: h.emu.domain,
      clientEndpoint,
      serverEndpoint: h.emu.oauth.serverEndpoint,
      status: EnumAppStatus.Free,
    },
    { clientId: APP.clientId, clientSecret: APP.clientSecret },
    { restrictionParams: FAST },
  );
  b24.offClientSideWarning();
  return b24;
}

describe('official SDK (B24OAuth) against the emulator', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('calls a method and a batch with clientEndpoint without a trailing slash', async () => {
    h = await startHarness();
    const b24 = sdkFor(h, `${h.emu.url}/rest`);
    const profile = await b24.actions.v2.call.make<any>({ method: 'profile' });
    assert.equal(profile.isSuccess, true);
    assert.equal(profile.getData()!.result.ID, '1');
    const batch = await b24.actions.v2.batch.make<any>({
      calls: { me: ['user.current', {}], deps: ['department.get', {}] },
      options: { isHaltOnError: true },
    });
    assert.equal(batch.isSuccess, true);
    const data = batch.getData() as any;
    assert.equal(data.me.ID, '1');
    assert.ok(Array.isArray(data.deps) && data.deps.length >= 3);
  });

  it('works with the real-world trailing slash (POST /rest//method)', async () => {
    h = await startHarness();
    const b24 = sdkFor(h, `${h.emu.url}/rest/`);
    const r = await b24.actions.v2.call.make<any>({ method: 'user.admin' });
    assert.equal(r.getData()!.result, true);
  });

  it('refreshes on 401 expired_token through /oauth/token/ and retries', async () => {
    h = await startHarness();
    const b24 = sdkFor(h, `${h.emu.url}/rest`);
    const refreshed: string[] = [];
    b24.setCallbackRefreshAuth(async ({ authData }) => {
      refreshed.push(authData.access_token);
    });
    h.emu.expireAccessTokens();
    const r = await b24.actions.v2.call.make<any>({ method: 'profile' });
    assert.equal(r.getData()!.result.ID, '1');
    assert.equal(refreshed.length, 1);
    const statuses = h.emu.calls.filter((c) => c.method === 'profile').map((c) => c.status);
    assert.deepEqual(statuses, [401, 200]);
  });

  it('callList walks a 120-user portal with the >ID cursor and stops', async () => {
    const seed = defaultSeed('en');
    for (let i = 0; i < 111; i++) seed.users!.push({ id: 300 + i, name: `N${i}`, lastName: 'L' });
    h = await startHarness({ seed });
    const b24 = sdkFor(h, `${h.emu.url}/rest`);
    const all = await b24.actions.v2.callList.make<any>({ method: 'user.get', params: {} });
    assert.equal(all.isSuccess, true);
    assert.equal((all.getData() as any[]).length, 120);
    assert.equal(h.emu.calls.filter((c) => c.method === 'user.get').length, 3);
  });
});
