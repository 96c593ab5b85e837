import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  availabilityOf,
  countedLoad,
  type Decision,
  Dispatcher,
  decide,
  type OperatorState,
  type QueueRules,
  queueRulesSchema,
} from '../../../src/engine/index.ts';
import { itemArb, operatorState, queueRules } from './arbitraries.ts';
import { item, T0 } from './fixtures.ts';

const available = (id: number, lastAssignedAt: number | null = null): OperatorState => ({
  id,
  active: true,
  online: true,
  lastAssignedAt,
});

function bump(states: Map<number, OperatorState>, d: Decision): void {
  if (d.action !== 'assign') return;
  const s = states.get(d.operatorId)!;
  states.set(d.operatorId, {
    ...s,
    lastAssignedAt: d.stamp,
    credit: d.credits?.[d.operatorId] ?? s.credit,
    load: { ...s.load, notAnswered: (s.load?.notAnswered ?? 0) + 1 },
    ...(s.quotaLeft != null ? { quotaLeft: s.quotaLeft - 1 } : {}),
  });
  if (d.credits)
    for (const [id, c] of Object.entries(d.credits))
      states.set(Number(id), { ...states.get(Number(id))!, credit: c });
}

describe('property: evenly with everyone eligible', () => {
  it('never lets two operators differ by more than one new item', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            history: fc.array(fc.option(fc.integer({ min: T0 - 1e6, max: T0 }), { nil: null }), {
              minLength: n,
              maxLength: n,
            }),
            steps: fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }),
          }),
        ),
        ({ n, history, steps }) => {
          const rules = queueRulesSchema.parse({ queue: history.map((_, i) => ({ id: i + 1 })) });
          const states = new Map(history.map((h, i) => [i + 1, available(i + 1, h)]));
          const index = new Dispatcher(rules, [...states.values()], T0);
          const counts = new Array(n + 1).fill(0);
          let now = T0;
          for (const step of steps) {
            now += step; // zero steps: several decisions in the same millisecond
            const d = decide(rules, [...states.values()], item(), now);
            assert.equal(d.action, 'assign');
            assert.deepEqual(index.assign(item(), now), d);
            bump(states, d);
            if (d.action === 'assign') counts[d.operatorId]++;
            const c = counts.slice(1);
            assert.ok(Math.max(...c) - Math.min(...c) <= 1, `counts ${c}`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

const weights = fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 1, maxLength: 10 });

function weightedRules(w: number[]): QueueRules {
  return queueRulesSchema.parse({ mode: 'weighted', queue: w.map((weight, i) => ({ id: i + 1, weight })) });
}

describe('property: weighted shares', () => {
  it('keep every operator within one item of their share after every item', () => {
    fc.assert(
      fc.property(weights, fc.integer({ min: 1, max: 300 }), (w, picks) => {
        const total = w.reduce((a, b) => a + b, 0);
        const index = new Dispatcher(
          weightedRules(w),
          w.map((_, i) => available(i + 1)),
          T0,
        );
        const counts = new Array(w.length).fill(0);
        for (let k = 1; k <= picks; k++) {
          const d = index.assign(item(k), T0);
          assert.equal(d.action, 'assign');
          if (d.action === 'assign') counts[d.operatorId - 1]++;
          for (let i = 0; i < w.length; i++) {
            const off = Math.abs(counts[i] - (k * w[i]) / total);
            assert.ok(off < 1, `after ${k}: operator ${i + 1} has ${counts[i]}, share ${(k * w[i]) / total}`);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the pure decide, fed its own credits, gives the same shares', () => {
    fc.assert(
      fc.property(weights, fc.integer({ min: 1, max: 60 }), (w, picks) => {
        const rules = weightedRules(w);
        const states = new Map(w.map((_, i) => [i + 1, available(i + 1)]));
        const index = new Dispatcher(rules, [...states.values()], T0);
        for (let k = 1; k <= picks; k++) {
          const d = decide(rules, [...states.values()], item(k), T0);
          bump(states, d);
          assert.equal(index.assign(item(k), T0).action === 'assign' && d.action === 'assign', true);
        }
        assert.deepEqual(
          index.credits(),
          Object.fromEntries(w.map((_, i) => [i + 1, states.get(i + 1)!.credit])),
        );
      }),
      { numRuns: 100 },
    );
  });

  it('give an operator back from absence no catch-up burst', () => {
    fc.assert(
      fc.property(
        weights.filter((w) => w.length >= 2),
        fc.nat(200),
        fc.nat(300),
        fc.integer({ min: 1, max: 200 }),
        (w, before, away, after) => {
          const total = w.reduce((a, b) => a + b, 0);
          const index = new Dispatcher(
            weightedRules(w),
            w.map((_, i) => available(i + 1)),
            T0,
          );
          for (let k = 0; k < before; k++) index.assign(item(k), T0);
          index.upsertOperator({ ...available(1), online: false });
          for (let k = 0; k < away; k++) index.assign(item(k), T0);
          index.upsertOperator(available(1));
          let got = 0;
          for (let k = 1; k <= after; k++) {
            const d = index.assign(item(k), T0);
            if (d.action === 'assign' && d.operatorId === 1) got++;
            assert.ok(got - (k * w[0]) / total < 2, `returner has ${got} of ${k}`);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('property: safety', () => {
  const scenario = fc.integer({ min: 1, max: 8 }).chain((n) =>
    fc.record({
      rules: queueRules(n),
      ops: fc.tuple(...Array.from({ length: n }, (_, i) => operatorState(i + 1))),
      outsiders: fc.tuple(operatorState(90), operatorState(91)),
      items: fc.array(itemArb(n), { minLength: 1, maxLength: 25 }),
      now: fc.integer({ min: T0, max: T0 + 12 * 3_600_000 }),
    }),
  );

  it('no decision picks an ineligible operator or takes anyone past their limit or quota', () => {
    fc.assert(
      fc.property(scenario, ({ rules, ops, outsiders, items, now }) => {
        const states = new Map([...ops, ...outsiders].map((o) => [o.id, o]));
        const index = new Dispatcher(rules, [...states.values()], now);
        const limitOf = (id: number) => rules.queue.find((m) => m.id === id)?.limit ?? rules.capacity.limit;
        items.forEach((it, k) => {
          const d = decide(rules, [...states.values()], { id: k, ...it }, now);
          assert.deepEqual(index.assign({ id: k, ...it }, now), stripCredits(d));
          if (d.action !== 'assign') return;
          const s = states.get(d.operatorId)!;
          const limit = limitOf(d.operatorId);
          const counted = countedLoad(s.load, rules.capacity.counts);
          assert.ok(limit === null || counted < limit, `operator ${d.operatorId} at ${counted}/${limit}`);
          assert.ok(s.quotaLeft == null || s.quotaLeft > 0, `operator ${d.operatorId} had no quota left`);
          assert.ok(
            independentlyAvailable(s, rules, now),
            `operator ${d.operatorId} is ${availabilityOf(s, rules, now)}`,
          );
          bump(states, d);
        });
        for (const [id, s] of states) {
          const limit = limitOf(id);
          const before = countedLoad(
            [...ops, ...outsiders].find((o) => o.id === id)?.load,
            rules.capacity.counts,
          );
          if (limit !== null && before <= limit)
            assert.ok(countedLoad(s.load, rules.capacity.counts) <= limit);
        }
      }),
      { numRuns: 300 },
    );
  });
});

/** Availability worked out from scratch, not with the engine's own code. */
function independentlyAvailable(o: OperatorState, rules: QueueRules, now: number): boolean {
  const member = rules.queue.find((m) => m.id === o.id);
  if (member && !member.autoAssign) return false;
  if (!o.active) return false;
  const a = rules.availability;
  if (!a.check) return true;
  if (o.absentUntil != null && now < o.absentUntil) return false;
  if (o.paused || (o.pausedUntil != null && now < o.pausedUntil)) return false;
  if (a.requireOnline && !o.online) return false;
  if (a.useTimeTracking && o.workday && o.workday !== 'OPENED') return false;
  if (a.useSchedules && o.schedule) {
    // The arbitraries give every day the same whole-hour interval.
    const [from, to] = o.schedule.days.mon![0];
    const start = Number(from.slice(0, 2));
    const hours = (Number(to.slice(0, 2)) - start + 24) % 24;
    const hour = Number(
      new Intl.DateTimeFormat('en-GB', {
        timeZone: o.schedule.timeZone,
        hour: '2-digit',
        hourCycle: 'h23',
      }).format(now),
    );
    if ((hour - start + 24) % 24 >= hours) return false;
  }
  return true;
}

function stripCredits(d: Decision): Decision {
  if (d.action !== 'assign' || !d.credits) return d;
  const { credits: _, ...rest } = d;
  return rest;
}
