import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Decision, drainWaiting, type Item, previewNext } from '../../../src/engine/index.ts';
import { assigned, item, MIN, op, queueOf, T0 } from './fixtures.ts';

const arrivals = (n: number): Item[] =>
  Array.from({ length: n }, (_, i) => item(`w${i + 1}`, { arrivedAt: T0 - (n - i) * MIN }));
const pairs = (ds: Decision[]) => ds.map((d) => [d.itemId, assigned(d)]);

describe('drainWaiting', () => {
  it('hands out as many items as there is room for, in arrival order', () => {
    const r = queueOf([1, 2], { capacity: { limit: 2 } });
    const ops = [op(1, { load: { notAnswered: 1 } }), op(2)];
    const waiting = arrivals(5).reverse(); // given out of order on purpose
    const out = drainWaiting(r, ops, waiting, T0);
    assert.deepEqual(pairs(out.decisions), [
      ['w1', 1],
      ['w2', 2],
      ['w3', 2],
    ]);
    assert.deepEqual(
      out.waiting.map((i) => i.id),
      ['w4', 'w5'],
    );
  });

  it('higher priority first, then arrival', () => {
    const r = queueOf([1], { capacity: { limit: 2 } });
    const waiting = [
      item('old', { arrivedAt: T0 - 10 * MIN }),
      item('vip', { arrivedAt: T0 - MIN, priority: 5 }),
      item('mid', { arrivedAt: T0 - 5 * MIN }),
    ];
    const out = drainWaiting(r, [op(1)], waiting, T0);
    assert.deepEqual(
      out.decisions.map((d) => d.itemId),
      ['vip', 'old'],
    );
    assert.deepEqual(
      out.waiting.map((i) => i.id),
      ['mid'],
    );
  });

  it('the moment someone becomes eligible, the oldest waiting item goes to them', () => {
    const r = queueOf([1, 2]);
    const before = drainWaiting(r, [op(1, { online: false }), op(2, { paused: true })], arrivals(2), T0);
    assert.equal(before.decisions.length, 0);
    const after = drainWaiting(
      r,
      [op(1, { online: true }), op(2, { paused: true })],
      before.waiting,
      T0 + MIN,
    );
    assert.deepEqual(pairs(after.decisions), [
      ['w1', 1],
      ['w2', 1],
    ]);
  });

  it('each assignment counts toward the next (evenly alternates)', () => {
    const out = drainWaiting(queueOf([1, 2, 3]), [op(1), op(2), op(3)], arrivals(6), T0);
    assert.deepEqual(out.decisions.map(assigned), [1, 2, 3, 1, 2, 3]);
  });

  it('a later item can still reach its free responsible when the queue is full', () => {
    const r = queueOf([1], { capacity: { limit: 1 }, responsible: { enabled: true } });
    const waiting = [
      item('a', { arrivedAt: T0 - 2 }),
      item('b', { arrivedAt: T0 - 1, crm: [{ entity: 'contact', responsibleId: 7 }] }),
    ];
    const out = drainWaiting(r, [op(1, { load: { notAnswered: 1 } }), op(7)], waiting, T0);
    assert.deepEqual(pairs(out.decisions), [['b', 7]]);
    assert.deepEqual(
      out.waiting.map((i) => i.id),
      ['a'],
    );
  });

  it('weighted mode returns the credits to persist', () => {
    const r = queueOf([1, 2], {
      mode: 'weighted',
      queue: [
        { id: 1, weight: 2 },
        { id: 2, weight: 1 },
      ],
    });
    const out = drainWaiting(r, [op(1), op(2)], arrivals(3), T0);
    assert.deepEqual(out.decisions.map(assigned), [1, 2, 1]);
    assert.deepEqual(out.credits, { 1: 0, 2: 0 });
  });
});

describe('previewNext', () => {
  it('shows where the next N items would go, counting each toward the next', () => {
    const r = queueOf([1, 2, 3], { capacity: { limit: 1 } });
    const ops = [op(1), op(2, { load: { notAnswered: 1 } }), op(3)];
    const ds = previewNext(r, ops, 4, T0);
    assert.deepEqual(
      ds.map((d) => d.action),
      ['assign', 'assign', 'wait', 'wait'],
    );
    assert.deepEqual(ds.map(assigned).slice(0, 2), [1, 3]);
    assert.deepEqual(ds[2].reason.skipped.at_capacity, [1, 2, 3]);
  });

  it('does not touch the states it was given', () => {
    const ops = [op(1), op(2)];
    const copy = structuredClone(ops);
    previewNext(queueOf([1, 2]), ops, 3, T0);
    assert.deepEqual(ops, copy);
  });

  it('follows the weights in weighted mode', () => {
    const r = queueOf([1, 2, 3], {
      mode: 'weighted',
      queue: [
        { id: 1, weight: 5 },
        { id: 2, weight: 3 },
        { id: 3, weight: 2 },
      ],
    });
    const ds = previewNext(r, [op(1), op(2), op(3)], 10, T0);
    const count = (id: number) => ds.filter((d) => assigned(d) === id).length;
    assert.deepEqual([count(1), count(2), count(3)], [5, 3, 2]);
  });
});
