import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type Harness, manualClock, startHarness } from './helpers.ts';

describe('emulator request limits', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('answers 503 QUERY_LIMIT_EXCEEDED when the leaky bucket overflows, and drains with the clock', async () => {
    const clock = manualClock();
    h = await startHarness({ clock: clock.now, rateLimit: { drainPerSec: 2, burst: 3 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await h.call('server.time')).status);
    assert.deepEqual(statuses, [200, 200, 200, 503]);
    const refused = await h.call('server.time');
    assert.deepEqual(refused.body, { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many requests' });
    clock.advance(500); // drains one request
    assert.equal((await h.call('server.time')).status, 200);
    assert.equal((await h.call('server.time')).status, 503);
    assert.equal(h.emu.calls.filter((c) => c.status === 503).length, 3);
  });

  it('counts a whole batch as one request', async () => {
    const clock = manualClock();
    h = await startHarness({ clock: clock.now, rateLimit: { drainPerSec: 2, burst: 2 } });
    const batch = await h.call('batch', { cmd: Array.from({ length: 10 }, () => 'profile') });
    assert.equal(batch.status, 200);
    assert.equal(batch.body.result.result.length, 10);
    assert.equal((await h.call('profile')).status, 200);
    assert.equal((await h.call('profile')).status, 503);
  });

  it('can be switched off and reconfigured at run time', async () => {
    const clock = manualClock();
    h = await startHarness({ clock: clock.now, rateLimit: { drainPerSec: 1, burst: 1 } });
    assert.equal((await h.call('profile')).status, 200);
    assert.equal((await h.call('profile')).status, 503);
    h.emu.setRateLimit(false);
    for (let i = 0; i < 5; i++) assert.equal((await h.call('profile')).status, 200);
  });

  it('a fault without a method fails the next HTTP requests whatever they call', async () => {
    h = await startHarness();
    h.emu.injectFault({
      times: 1,
      status: 503,
      error: 'OVERLOAD_LIMIT',
      description: 'REST API is blocked due to overload',
    });
    const first = await h.call('profile');
    assert.equal(first.status, 503);
    assert.equal(first.body.error, 'OVERLOAD_LIMIT');
    assert.equal((await h.call('profile')).status, 200);
  });
});
