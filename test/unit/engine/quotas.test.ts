import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Dispatcher, dayStart, decide, explain, periodStarts } from '../../../src/engine/index.ts';
import { assigned, HOUR, item, op, queueOf, T0 } from './fixtures.ts';

/** Quotas in the engine (issue 18 item 2): an operator's room this period as a hard cap. */
describe('engine: quotas as room (quotaLeft)', () => {
  it('N and N+1: room 1 takes one more, room 0 sits out as over_quota', () => {
    const rules = queueOf([1, 2]);
    const d = decide(rules, [op(1, { quotaLeft: 0 }), op(2, { quotaLeft: 1 })], item(), T0);
    assert.equal(assigned(d), 2);
    assert.deepEqual(d.reason.skipped.over_quota, [1]);
    const none = decide(rules, [op(1, { quotaLeft: 0 }), op(2, { quotaLeft: 0 })], item(), T0);
    assert.equal(none.action, 'wait');
    assert.equal(none.reason.detail, 'quota_reached');
    assert.match(explain(none.reason, 'en'), /reached their quota/);
    assert.deepEqual(none.reason.skipped.unavailable, [], 'not said to be unavailable');
  });

  it('a drain takes room off with each assignment: the cap holds inside one turn', () => {
    const index = new Dispatcher(queueOf([1, 2]), [op(1, { quotaLeft: 2 }), op(2, { quotaLeft: 1 })], T0);
    const out = index.drain(
      ['a', 'b', 'c', 'd', 'e'].map((id, k) => item(id, { arrivedAt: k })),
      T0,
    );
    assert.deepEqual(out.decisions.map(assigned).sort(), [1, 1, 2]);
    assert.deepEqual(
      out.waiting.map((i) => i.id),
      ['d', 'e'],
    );
    assert.equal(index.stateOf(1)?.quotaLeft, 0);
  });

  it('weighted shares decide within the cap', () => {
    const rules = queueOf([1, 2], { mode: 'weighted' });
    rules.queue[0].weight = 3;
    const index = new Dispatcher(rules, [op(1, { quotaLeft: 2 }), op(2)], T0);
    const got = Array.from({ length: 6 }, (_, k) => assigned(index.assign(item(`w${k}`), T0 + k)));
    assert.deepEqual(got.slice(0, 2), [1, 1], 'the heavy one first, as the weights say');
    assert.equal(got.filter((x) => x === 1).length, 2, 'then capped');
  });

  it('overflow person: past everyone’s quota, while they have room; capped too; not when others are merely away', () => {
    const index = new Dispatcher(
      queueOf([1, 2]),
      [op(1, { quotaLeft: 0 }), op(2, { quotaLeft: 0 }), op(9, { quotaLeft: 1 })],
      T0,
    );
    index.setOverflow(9);
    const first = index.assign(item('a'), T0);
    assert.equal(assigned(first), 9);
    assert.equal(first.reason.rule, 'quota_overflow');
    assert.deepEqual(first.reason.skipped.over_quota, [1, 2]);
    const second = index.decide(item('b'), T0 + 1);
    assert.equal(second.action, 'wait', 'the overflow person is capped too');
    // Nobody over quota, only offline: the overflow person is not the queue's stand-in.
    const away = new Dispatcher(
      queueOf([1], { availability: { check: true, requireOnline: true } }),
      [op(1, { online: false }), op(9)],
      T0,
    );
    away.setOverflow(9);
    assert.equal(away.decide(item(), T0).action, 'wait');
    // A dismissed overflow person gets nothing.
    const gone = new Dispatcher(queueOf([1]), [op(1, { quotaLeft: 0 }), op(9, { active: false })], T0);
    gone.setOverflow(9);
    assert.equal(gone.decide(item(), T0).action, 'wait');
  });

  it('a drain with everyone over quota still reaches the overflow person', () => {
    const index = new Dispatcher(queueOf([1]), [op(1, { quotaLeft: 0 }), op(9, { quotaLeft: 1 })], T0);
    index.setOverflow(9);
    const out = index.drain([item('a'), item('b')], T0);
    assert.deepEqual(out.decisions.map(assigned), [9]);
    assert.equal(out.waiting.length, 1);
  });

  it('period starts: the day in the zone, or the operator’s shift (else the day)', () => {
    const now = T0 + 5 * HOUR; // 14:00 UTC on a Monday
    const schedule = {
      timeZone: 'UTC',
      days: { mon: [['08:00', '12:00'] as [string, string], ['13:00', '17:00'] as [string, string]] },
    };
    const since = periodStarts('shift', 'UTC', [1, 2], (id) => (id === 1 ? schedule : null), now);
    assert.equal(since.get(1), Date.UTC(2025, 5, 2, 13, 0));
    assert.equal(since.get(2), dayStart(now, 'UTC'));
    const moscow = periodStarts('day', 'Europe/Moscow', [1], () => schedule, now);
    assert.equal(
      moscow.get(1),
      Date.UTC(2025, 5, 1, 21, 0),
      'midnight in Moscow is 21:00 UTC the day before',
    );
  });
});
