import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  availabilityOf,
  decide,
  Dispatcher,
  type Mode,
  type OperatorState,
  returnedAt,
  returnOffsets,
} from '../../../src/engine/index.ts';
import { assigned, HOUR, item, MIN, op, queueOf, T0 } from './fixtures.ts';

/**
 * Back from a vacation, nobody is flooded: in every mode the returner takes their turn with
 * the others. A (1) was away for a week while B (2) and C (3) took the work; the items they
 * took are still open (their load), A's were handed over (A's load is 0).
 */
const AWAY = { from: T0 - 7 * 24 * HOUR, to: T0 - HOUR };

function team(mode: Mode): OperatorState[] {
  return [
    op(1, { absences: [AWAY], lastAssignedAt: AWAY.from - HOUR, credit: 0 }),
    op(2, { load: { notAnswered: 6 }, lastAssignedAt: T0 - 2 * HOUR, credit: 0 }),
    op(3, { load: { notAnswered: 6 }, lastAssignedAt: T0 - 3 * HOUR, credit: 0 }),
  ].map((s) => (mode === 'weighted' ? { ...s } : s));
}

/** The next `n` assignments, by the index (as the app keeps it) and by the pure reference, which must agree. */
function nextAssignments(mode: Mode, n: number, withReturns = true): number[] {
  const rules = queueOf([1, 2, 3], { mode });
  const start = withReturns ? returnOffsets(team(mode), rules, T0) : team(mode);
  const index = new Dispatcher(rules, start, T0);
  let states = start.map((s) => ({ ...s, load: { ...s.load } }));
  const got: number[] = [];
  for (let i = 0; i < n; i++) {
    const now = T0 + i * MIN;
    const d = index.decide(item(`x${i}`), now);
    const ref = decide(rules, states, item(`x${i}`), now);
    assert.equal(assigned(d), assigned(ref), `index and reference agree on item ${i}`);
    const who = assigned(d)!;
    got.push(who);
    index.commit(d);
    if (ref.action !== 'assign') continue;
    // The reference is pure: it hands back the credits and stamp to keep, as the app persists them.
    states = states.map((s) => {
      const credit = ref.credits?.[s.id] ?? s.credit;
      if (s.id !== who) return { ...s, credit };
      return {
        ...s,
        credit,
        lastAssignedAt: ref.stamp,
        load: { notAnswered: (s.load?.notAnswered ?? 0) + 1 },
      };
    });
  }
  return got;
}

const count = (xs: number[], id: number) => xs.filter((x) => x === id).length;

describe('back from an absence: no catch-up burst in any mode', () => {
  test('while away they get nothing; their return is known from the absence', () => {
    const rules = queueOf([1, 2, 3]);
    const away = op(1, { absences: [AWAY] });
    assert.equal(availabilityOf(away, rules, AWAY.from + HOUR), 'absent');
    assert.equal(availabilityOf(away, rules, T0), null);
    assert.equal(returnedAt(away, T0), AWAY.to);
    assert.equal(returnedAt(away, AWAY.from + HOUR), null, 'not back yet');
  });

  test('evenly: one item (the longest wait), then a full round before the next', () => {
    const got = nextAssignments('evenly', 9);
    assert.deepEqual(got, [1, 3, 2, 1, 3, 2, 1, 3, 2]);
  });

  test('weighted: credits restart level, so the returner gets their share and no more', () => {
    const got = nextAssignments('weighted', 9);
    assert.equal(count(got, 1), 3);
    for (let i = 0; i + 3 <= got.length; i += 3) assert.equal(count(got.slice(i, i + 3), 1), 1, got.join());
  });

  test('strictly: the first in the list gets what they got before the absence, nothing to catch up', () => {
    const got = nextAssignments('strictly', 6);
    const rules = queueOf([1, 2, 3], { mode: 'strictly' });
    const neverAway = new Dispatcher(
      rules,
      team('strictly').map((s) => ({ ...s, absences: [] })),
      T0,
    );
    const baseline = Array.from({ length: 6 }, (_, i) => {
      const d = neverAway.decide(item(`y${i}`), T0 + i * MIN);
      neverAway.commit(d);
      return assigned(d)!;
    });
    assert.deepEqual(got, baseline);
  });

  test('least-loaded: the empty desk takes one item a round instead of every item until it is as full', () => {
    const burst = nextAssignments('least_loaded', 6, false);
    assert.deepEqual(burst, [1, 1, 1, 1, 1, 1], 'without the return offset: the flood this prevents');
    const got = nextAssignments('least_loaded', 9);
    for (let i = 0; i + 3 <= got.length; i += 3) assert.equal(count(got.slice(i, i + 3), 1), 1, got.join());
  });

  test('the offset lasts the grace period only, and only for people back from an absence', () => {
    const rules = queueOf([1, 2, 3], { mode: 'least_loaded' });
    const [a] = returnOffsets(team('least_loaded'), rules, T0);
    assert.equal(a.loadOffset, 6, 'as loaded as the least loaded colleague');
    const [late] = returnOffsets(team('least_loaded'), rules, AWAY.to + 13 * HOUR);
    assert.equal(late.loadOffset, undefined);
    const fresh = returnOffsets(
      [op(1), op(2, { load: { notAnswered: 4 } })],
      queueOf([1, 2], { mode: 'least_loaded' }),
      T0,
    );
    assert.equal(
      fresh[0].loadOffset,
      undefined,
      'a new colleague with an empty desk is not one back from an absence',
    );
    assert.equal(returnOffsets(team('evenly'), queueOf([1, 2, 3]), T0)[0].loadOffset, undefined);
  });

  test('the offset ranks, it never counts toward the limit', () => {
    const rules = queueOf([1, 2, 3], { mode: 'least_loaded', capacity: { limit: 3 } });
    const states = returnOffsets(team('least_loaded'), rules, T0);
    const d = decide(rules, states, item('x'), T0);
    assert.equal(assigned(d), 1, 'B and C are over the limit; A, with an offset of 6, still has room');
  });
});
