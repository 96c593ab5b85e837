import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  admit,
  ceilingOf,
  nextToGo,
  PortalBudget,
  REST_CLASSES,
  type RestClass,
} from '../../src/portal/rest-priority.ts';

const LIMITS = { burst: 50, perSec: 2 };

describe('REST budget with priorities: the pure core', () => {
  test('each class stops lower than the one before it; background leaves 40 % of the burst', () => {
    const ceilings = REST_CLASSES.map((c) => ceilingOf(c, LIMITS));
    assert.deepEqual(ceilings, [45, 40, 35, 32, 30]);
    assert.ok(
      ceilings.every((c) => c < LIMITS.burst),
      'no class fills the portal bucket',
    );
  });

  test('a full bucket for background still admits the viewer; the wait is what draining takes', () => {
    const s = { level: 30, at: 0 };
    const bg = admit(s, LIMITS, 'background', 0);
    assert.equal(bg.ok, false);
    assert.equal(!bg.ok && bg.waitMs, 500, 'one request drains in 0.5 s at 2/s');
    for (const cls of ['viewer', 'write', 'event'] as RestClass[])
      assert.equal(admit(s, LIMITS, cls, 0).ok, true, cls);
    const later = admit(s, LIMITS, 'background', 500);
    assert.equal(later.ok, true);
    assert.equal(later.ok && later.state.level, 30);
  });

  test('the earliest class goes first, first come within a class', () => {
    const w = (cls: RestClass, n: number) => ({ cls, n });
    const q = [
      w('background', 1),
      w('event', 2),
      w('write', 3),
      w('event', 4),
      w('viewer', 5),
      w('viewer', 6),
    ];
    assert.equal(nextToGo(q)?.n, 5);
    assert.equal(nextToGo(q.filter((x) => x.cls !== 'viewer'))?.n, 3);
    assert.equal(nextToGo(q.filter((x) => x.cls === 'event' || x.cls === 'background'))?.n, 2);
    assert.equal(nextToGo([]), undefined);
  });

  test('the freed-place watch: after every event read, before the jobs, and never into the headroom of the page, writes or event reads', () => {
    const q = [
      { cls: 'background' as RestClass, n: 1 },
      { cls: 'watch' as RestClass, n: 2 },
      { cls: 'event' as RestClass, n: 3 },
    ];
    assert.equal(nextToGo(q)?.n, 3, 'an event read waiting goes first');
    assert.equal(nextToGo(q.filter((x) => x.cls !== 'event'))?.n, 2, 'the watch before the jobs');
    const at = (level: number) => ({ level, at: 0 });
    assert.equal(admit(at(31), LIMITS, 'watch', 0).ok, true);
    assert.equal(admit(at(32), LIMITS, 'watch', 0).ok, false, 'stops at 32 of 50');
    for (const cls of ['viewer', 'write', 'event'] as RestClass[])
      assert.equal(admit(at(32), LIMITS, cls, 0).ok, true, `${cls} still has room above it`);
  });
});

describe('REST budget with priorities: one portal', () => {
  test('background saturating the budget waits; a viewer check, then a transfer, go before it', async () => {
    let now = 0;
    const b = new PortalBudget(LIMITS, () => now);
    const order: string[] = [];
    const bg = Array.from({ length: 40 }, (_, i) => b.take('background').then(() => order.push(`bg${i}`)));
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    assert.equal(order.length, 30, 'background stops at its ceiling');
    assert.equal(b.report().backgroundSlowed, true);
    const write = b.take('write').then(() => order.push('write'));
    const viewer = b.take('viewer').then(() => order.push('viewer'));
    await Promise.all([write, viewer]);
    assert.deepEqual(order.slice(30), ['write', 'viewer'], 'both went at once, past the waiting background');
    // Time passes: background goes on at the drain rate (2/s), below its ceiling again.
    now += 1000;
    b.poke();
    await new Promise((r) => setImmediate(r));
    assert.equal(order.length, 32, 'the viewer and the write took what drained in the first second');
    now += 1000;
    b.poke();
    await new Promise((r) => setImmediate(r));
    assert.equal(order.slice(32).join(), 'bg30,bg31', 'then background resumes at 2 a second');
    const r = b.report();
    assert.equal(r.byClass.viewer.sent, 1);
    assert.equal(r.byClass.write.sent, 1);
    now += 60_000;
    b.poke();
    await Promise.all(bg);
    assert.equal(b.report().byClass.background.sent, 40);
  });

  test('a waiting viewer request is served before a waiting background one when room frees', async () => {
    let now = 0;
    const b = new PortalBudget({ burst: 10, perSec: 1 }, () => now);
    // Fill up to the viewer's ceiling (9 of 10) with viewer requests.
    for (let i = 0; i < 9; i++) await b.take('viewer');
    const order: string[] = [];
    const bg = b.take('background').then(() => order.push('background'));
    const v = b.take('viewer').then(() => order.push('viewer'));
    now += 1000; // one request drained: room for the viewer only (background's ceiling is 6)
    b.poke();
    await v;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['viewer']);
    now += 10_000;
    b.poke();
    await bg;
    assert.deepEqual(order, ['viewer', 'background']);
  });
});
