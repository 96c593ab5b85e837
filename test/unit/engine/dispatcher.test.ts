import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Decision,
  Dispatcher,
  decide,
  type Mode,
  MODES,
  type OperatorState,
  passOn,
  type QueueRules,
} from '../../../src/engine/index.ts';
import { itemArb, operatorState, queueRules } from './arbitraries.ts';
import { assigned, HOUR, item, MIN, op, queueOf, rules, T0 } from './fixtures.ts';

describe('Dispatcher: incremental updates', () => {
  it('notices on its own when a shift starts and when an absence ends', () => {
    const r = queueOf([1, 2]);
    const ops = [
      op(1, { schedule: { timeZone: 'UTC', days: { mon: [['10:00', '18:00']] } } }),
      op(2, { absentUntil: T0 + 30 * MIN }),
    ];
    const index = new Dispatcher(r, ops, T0);
    assert.equal(index.decide(item(), T0).action, 'wait');
    assert.equal(index.nextChangeAt(), T0 + 30 * MIN);
    assert.equal(assigned(index.decide(item(), T0 + 30 * MIN)), 2);
    assert.equal(index.nextChangeAt(), T0 + HOUR);
    assert.equal(assigned(index.decide(item(), T0 + HOUR)), 1);
  });

  it('frees capacity when load drops', () => {
    const index = new Dispatcher(queueOf([1], { capacity: { limit: 1 } }), [op(1)], T0);
    assert.equal(assigned(index.assign(item('a'), T0)), 1);
    assert.equal(index.decide(item('b'), T0).action, 'wait');
    index.setLoad(1, { operatorLast: 1 });
    assert.equal(index.decide(item('b'), T0).action, 'wait');
    index.setLoad(1, {});
    assert.equal(assigned(index.decide(item('b'), T0)), 1);
  });

  it('follows availability updates', () => {
    const index = new Dispatcher(queueOf([1, 2]), [op(1), op(2, { lastAssignedAt: T0 - 1 })], T0);
    index.upsertOperator(op(1, { online: false }));
    assert.equal(assigned(index.decide(item(), T0)), 2);
    index.upsertOperator(op(1, { online: true }));
    assert.equal(assigned(index.decide(item(), T0)), 1);
  });

  it('adds members at the end of the queue and removes them', () => {
    const index = new Dispatcher(
      queueOf([1, 2], { mode: 'strictly' }),
      [op(1, { online: false }), op(2)],
      T0,
    );
    index.removeMember(2);
    assert.equal(index.decide(item(), T0).action, 'wait');
    index.addMember({ id: 3, weight: 1, autoAssign: true }, op(3));
    assert.deepEqual(
      index.rules.queue.map((m) => m.id),
      [1, 3],
    );
    assert.equal(assigned(index.decide(item(), T0)), 3);
    index.upsertOperator(op(1));
    assert.equal(assigned(index.decide(item(), T0)), 1);
  });

  it('keeps a removed member known as a CRM responsible', () => {
    const index = new Dispatcher(queueOf([1, 2], { responsible: { enabled: true } }), [op(1), op(2)], T0);
    index.removeMember(2);
    const d = index.decide(item('c', { crm: [{ entity: 'contact', responsibleId: 2 }] }), T0);
    assert.equal(assigned(d), 2);
    index.removeOperator(2);
    const again = index.decide(item('c', { crm: [{ entity: 'contact', responsibleId: 2 }] }), T0);
    assert.equal(again.reason.responsible?.passedOver, 'unknown');
  });

  it('re-evaluates everyone when asked about an earlier time', () => {
    const index = new Dispatcher(queueOf([1]), [op(1, { absentUntil: T0 + HOUR })], T0);
    assert.equal(assigned(index.decide(item(), T0 + 2 * HOUR)), 1);
    assert.equal(index.decide(item(), T0).action, 'wait');
  });

  it('refuses to commit an assignment to an operator it does not know', () => {
    const index = new Dispatcher(queueOf([1]), [op(1)], T0);
    const d: Decision = {
      action: 'assign',
      itemId: 'x',
      operatorId: 9,
      stamp: T0,
      reason: { rule: 'evenly', skipped: { at_capacity: [], unavailable: [] } },
    };
    assert.throws(() => index.commit(d), /operator 9/);
  });

  it('decide does not change the index; commit does', () => {
    const index = new Dispatcher(queueOf([1, 2], { mode: 'weighted' }), [op(1), op(2)], T0);
    const first = index.decide(item(), T0);
    assert.deepEqual(index.decide(item(), T0), first);
    assert.deepEqual(index.credits(), { 1: 0, 2: 0 });
    index.commit(first);
    assert.deepEqual(index.credits(), { 1: -1, 2: 1 });
    assert.equal(index.stateOf(1)?.load?.notAnswered, 1);
  });

  it('weighted pass-on leaves the round out of the total weight', () => {
    // Among A (weight 1, owed 3) and B (weight 3, owed 1) of total 4, both fall behind at the
    // same time and A, owed more, wins; counting the holder's weight 5 in would favour B.
    const r = rules({
      mode: 'weighted',
      queue: [
        { id: 1, weight: 1 },
        { id: 2, weight: 3 },
        { id: 3, weight: 5 },
      ],
    });
    const ops = [op(1, { credit: 2 }), op(2, { credit: -2 }), op(3, { credit: 0 })];
    const req = { item: item(), holderId: 3 };
    assert.equal(assigned(passOn(r, ops, req, T0)), 1);
    const index = new Dispatcher(r, ops, T0);
    const d = index.passOn(req, T0);
    assert.equal(assigned(d), 1);
    index.commit(d);
    assert.deepEqual(index.credits(), { 1: -1, 2: 1, 3: 0 });
  });

  it('weighted: equal deadlines go to the one owed more', () => {
    const r = rules({
      mode: 'weighted',
      queue: [
        { id: 1, weight: 2 },
        { id: 2, weight: 1 },
      ],
    });
    const index = new Dispatcher(r, [op(1), op(2)], T0);
    assert.deepEqual(
      [1, 2, 3].map((k) => assigned(index.assign(item(k), T0))),
      [1, 2, 1],
    );
  });

  it('keeps the capped skipped list right when its last entry or the next one changes', () => {
    const ids = Array.from({ length: 60 }, (_, i) => i + 1);
    const r = queueOf([...ids, 61]);
    const ops = [...ids.map((id) => op(id, { online: false })), op(61)];
    const index = new Dispatcher(r, ops, T0);
    const same = (what: string) => {
      const states = ids.map((id) => index.stateOf(id)!).concat(index.stateOf(61)!);
      assert.deepEqual(index.decide(item(), T0), decide(index.rules, states, item(), T0), what);
    };
    const listed = () => index.decide(item(), T0).reason.skipped;
    assert.equal(listed().unavailable.length, 50);
    assert.equal(listed().omitted, 10);
    index.upsertOperator(op(50, { online: false, paused: true })); // the last listed entry changes its why
    assert.deepEqual(listed().unavailable.at(-1), { id: 50, why: 'manual_pause' });
    same('last entry relabelled');
    index.upsertOperator(op(51, { active: false })); // just past the list: only the count could change
    same('entry after the list');
    index.upsertOperator(op(50)); // the last entry becomes eligible: the next one moves in
    assert.deepEqual(listed().unavailable.at(-1), { id: 51, why: 'dismissed' });
    assert.equal(listed().omitted, 9);
    same('last entry left the list');
  });

  it('drains waiting items and reports the rest', () => {
    const index = new Dispatcher(queueOf([1, 2], { capacity: { limit: 1 } }), [op(1), op(2)], T0);
    const out = index.drain(
      [item('a', { arrivedAt: 2 }), item('b', { arrivedAt: 1 }), item('c', { arrivedAt: 3 })],
      T0,
    );
    assert.deepEqual(
      out.decisions.map((d) => [d.itemId, assigned(d)]),
      [
        ['b', 1],
        ['a', 2],
      ],
    );
    assert.deepEqual(
      out.waiting.map((i) => i.id),
      ['c'],
    );
  });
});

// ---- the index agrees with the reference ----------------------------------------------------

type Command =
  | { kind: 'decide'; item: ReturnType<typeof itemArb> extends fc.Arbitrary<infer T> ? T : never }
  | { kind: 'passOn'; holder: number; round: number[] }
  | { kind: 'load'; id: number; notAnswered: number; operatorLast: number }
  | { kind: 'availability'; id: number; online: boolean; paused: boolean }
  | { kind: 'history'; id: number; lastAssignedAt: number | null }
  | { kind: 'tick'; ms: number }
  | { kind: 'back'; ms: number }
  | { kind: 'add' }
  | { kind: 'remove'; id: number };

function commands(n: number, maxLength = 40): fc.Arbitrary<Command[]> {
  const id = fc.integer({ min: 1, max: n + 3 });
  return fc.array(
    fc.oneof(
      { weight: 6, arbitrary: itemArb(n).map((item) => ({ kind: 'decide' as const, item })) },
      {
        weight: 2,
        arbitrary: fc
          .record({ holder: id, round: fc.array(id, { maxLength: 3 }) })
          .map((r) => ({ kind: 'passOn' as const, ...r })),
      },
      {
        weight: 2,
        arbitrary: fc
          .record({
            id,
            notAnswered: fc.integer({ min: 0, max: 5 }),
            operatorLast: fc.integer({ min: 0, max: 3 }),
          })
          .map((r) => ({ kind: 'load' as const, ...r })),
      },
      {
        weight: 2,
        arbitrary: fc
          .record({ id, online: fc.boolean(), paused: fc.boolean() })
          .map((r) => ({ kind: 'availability' as const, ...r })),
      },
      {
        weight: 1,
        arbitrary: fc
          .record({
            id,
            lastAssignedAt: fc.option(fc.integer({ min: T0 - HOUR, max: T0 + HOUR }), { nil: null }),
          })
          .map((r) => ({ kind: 'history' as const, ...r })),
      },
      {
        weight: 2,
        arbitrary: fc.integer({ min: 0, max: 3 * HOUR }).map((ms) => ({ kind: 'tick' as const, ms })),
      },
      {
        weight: 1,
        arbitrary: fc.integer({ min: 1, max: HOUR }).map((ms) => ({ kind: 'back' as const, ms })),
      },
      { weight: 1, arbitrary: fc.constant({ kind: 'add' as const }) },
      { weight: 1, arbitrary: id.map((id) => ({ kind: 'remove' as const, id })) },
    ),
    { maxLength },
  );
}

const scenario = (mode: Mode, eager = false, maxCommands = 40) =>
  fc.integer({ min: 1, max: 8 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      rules: queueRules(n, mode),
      ops: fc.tuple(
        ...Array.from({ length: n + 3 }, (_, i) =>
          fc.option(operatorState(i + 1, eager), { freq: 8, nil: null }),
        ),
      ),
      outsiders: fc.tuple(operatorState(90), operatorState(91), operatorState(92)),
      commands: commands(n, maxCommands),
    }),
  );

function withoutCredits(d: Decision): Decision {
  if (d.action !== 'assign' || !d.credits) return d;
  const { credits: _, ...rest } = d;
  return rest;
}

/** Applies a committed decision to the plain states, the way Dispatcher.commit does. */
function applyToModel(states: Map<number, OperatorState>, d: Decision): void {
  if (d.action !== 'assign') return;
  const s = states.get(d.operatorId)!;
  states.set(d.operatorId, {
    ...s,
    lastAssignedAt: d.stamp,
    load: { ...s.load, notAnswered: (s.load?.notAnswered ?? 0) + 1 },
    ...(s.quotaLeft != null ? { quotaLeft: Math.max(0, s.quotaLeft - 1) } : {}),
  });
  for (const [id, credit] of Object.entries(d.credits ?? {})) {
    const m = states.get(Number(id));
    if (m) states.set(m.id, { ...m, credit });
  }
  const from = d.reason.rule === 'pass_on' ? d.reason.passOn?.fromId : undefined;
  const h = from === undefined ? undefined : states.get(from);
  if (h)
    states.set(h.id, { ...h, load: { ...h.load, notAnswered: Math.max(0, (h.load?.notAnswered ?? 0) - 1) } });
}

/** Queues longer than the skipped list, mostly offline, so the list is full and cached. */
const bigScenario = (mode: Mode) =>
  fc.integer({ min: 55, max: 75 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      rules: queueRules(n, mode).map((r) => ({
        ...r,
        availability: { ...r.availability, check: true, requireOnline: true },
      })),
      ops: fc.tuple(
        ...Array.from({ length: n + 3 }, (_, i) =>
          operatorState(i + 1).map((o) => ({ ...o, online: o.online && o.id % 4 === 0 })),
        ),
      ),
      outsiders: fc.tuple(operatorState(90), operatorState(91), operatorState(92)),
      commands: commands(n, 30),
    }),
  );

type Scenario = ReturnType<typeof scenario> extends fc.Arbitrary<infer T> ? T : never;

/** Replays the commands on the index and on the reference, comparing every answer. */
function replay({ n, rules, ops, outsiders, commands }: Scenario): void {
  let model: QueueRules = rules;
  const states = new Map<number, OperatorState>();
  for (const o of [...ops, ...outsiders]) if (o) states.set(o.id, o);
  let now = T0;
  const index = new Dispatcher(model, [...states.values()], now);
  let nextId = n + 10;
  let k = 0;
  const checkCredits = () => {
    if (model.mode !== 'weighted') return;
    const want: Record<number, number> = {};
    for (const m of model.queue) want[m.id] = states.get(m.id)?.credit ?? 0;
    assert.deepEqual(index.credits(), want, 'credits');
  };
  for (const c of commands) {
    k++;
    if (c.kind === 'decide') {
      const it = { id: `i${k}`, ...c.item };
      const want = decide(model, [...states.values()], it, now);
      const got = index.decide(it, now);
      assert.deepEqual(got, withoutCredits(want), `decision ${k}`);
      index.commit(got);
      applyToModel(states, want);
      checkCredits();
    } else if (c.kind === 'passOn') {
      if (!states.has(c.holder)) continue;
      const req = { item: item(`p${k}`), holderId: c.holder, round: c.round };
      const want = passOn(model, [...states.values()], req, now);
      const got = index.passOn(req, now);
      assert.deepEqual(got, withoutCredits(want), `pass-on ${k}`);
      index.commit(got);
      applyToModel(states, want);
      checkCredits();
    } else if (c.kind === 'load') {
      const s = states.get(c.id);
      if (!s) continue;
      const load = { notAnswered: c.notAnswered, operatorLast: c.operatorLast };
      states.set(c.id, { ...s, load });
      index.setLoad(c.id, load);
    } else if (c.kind === 'availability') {
      const s = {
        ...(states.get(c.id) ?? { id: c.id, active: true, online: true }),
        online: c.online,
        paused: c.paused,
      };
      states.set(c.id, s);
      index.upsertOperator(s);
    } else if (c.kind === 'history') {
      const s = states.get(c.id);
      if (!s) continue;
      const changed = { ...s, lastAssignedAt: c.lastAssignedAt };
      states.set(c.id, changed);
      index.upsertOperator(changed);
    } else if (c.kind === 'tick') now += c.ms;
    else if (c.kind === 'back') now -= c.ms;
    else if (c.kind === 'add') {
      const id = nextId++;
      const s: OperatorState = { id, active: true, online: true };
      const member = { id, weight: 2, autoAssign: true };
      states.set(id, s);
      model = { ...model, queue: [...model.queue, member] };
      index.addMember(member, s);
    } else if (c.kind === 'remove') {
      model = { ...model, queue: model.queue.filter((m) => m.id !== c.id) };
      index.removeMember(c.id);
    }
    assert.deepEqual(index.rules.queue, model.queue);
  }
}

describe('Dispatcher agrees with the reference decide/passOn', () => {
  for (const mode of MODES) {
    it(`${mode}: on random queues and random sequences of decisions and updates`, () => {
      fc.assert(fc.property(scenario(mode), replay), { numRuns: mode === 'all' ? 50 : 150 });
    });
  }

  it('queues longer than the skipped list (the list is cached and must follow every change)', () => {
    for (const mode of ['evenly', 'weighted'] as const) {
      fc.assert(fc.property(bigScenario(mode), replay), { numRuns: 40 });
    }
  });

  it('weighted: long runs with mostly available operators, pass-ons and returns', () => {
    fc.assert(fc.property(scenario('weighted', true, 80), replay), { numRuns: 150 });
  });
});
