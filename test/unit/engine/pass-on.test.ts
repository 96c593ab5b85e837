import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type OperatorState, passOn, type QueueRulesInput } from '../../../src/engine/index.ts';
import { item, like, op, queueOf, T0 } from './fixtures.ts';

interface Row {
  name: string;
  queue: number[];
  rules?: QueueRulesInput;
  ops?: OperatorState[];
  holder: number;
  round?: number[];
  expect: Record<string, unknown>;
}

const five = [1, 2, 3, 4, 5];

const rows: Row[] = [
  {
    name: 'strictly: walks on to the next in queue order',
    queue: five,
    rules: { mode: 'strictly' },
    holder: 2,
    expect: {
      action: 'assign',
      operatorId: 3,
      round: [2, 3],
      reason: { rule: 'pass_on', passOn: { fromId: 2, by: 'strictly', newRound: false } },
    },
  },
  {
    name: 'strictly: wraps around from the end of the queue',
    queue: five,
    rules: { mode: 'strictly' },
    holder: 5,
    round: [3, 4, 5],
    expect: { operatorId: 1, round: [3, 4, 5, 1] },
  },
  {
    name: 'strictly: skips whoever already had the item this round',
    queue: five,
    rules: { mode: 'strictly' },
    holder: 2,
    round: [3, 4, 2],
    expect: { operatorId: 5, reason: { skipped: { already_had: [3, 4] } } },
  },
  {
    name: 'strictly: skips the unavailable on the way',
    queue: five,
    rules: { mode: 'strictly' },
    ops: [op(1), op(2), op(3, { online: false }), op(4), op(5)],
    holder: 2,
    expect: { operatorId: 4, reason: { skipped: { unavailable: [{ id: 3, why: 'offline' }] } } },
  },
  {
    name: 'strictly: when everyone had it, a new round starts after the holder',
    queue: [1, 2, 3],
    rules: { mode: 'strictly' },
    holder: 2,
    round: [1, 2, 3],
    expect: { operatorId: 3, round: [2, 3], reason: { passOn: { newRound: true } } },
  },
  {
    name: 'nobody else can take it: it stays with the holder',
    queue: [1, 2],
    rules: { mode: 'strictly' },
    ops: [op(1, { online: false }), op(2)],
    holder: 2,
    expect: { action: 'stay', operatorId: 2, reason: { rule: 'stay', detail: 'nobody_else_eligible' } },
  },
  {
    name: 'a holder outside the queue: strictly starts from the head',
    queue: [1, 2],
    rules: { mode: 'strictly' },
    ops: [op(1), op(2), op(9)],
    holder: 9,
    expect: { operatorId: 1 },
  },
  {
    name: 'evenly: the oldest last assignment outside the round',
    queue: five,
    ops: five.map((id) => op(id, { lastAssignedAt: T0 - id * 1000 })),
    holder: 1,
    round: [5],
    expect: { operatorId: 4, reason: { passOn: { by: 'evenly' }, skipped: { already_had: [5] } } },
  },
  {
    name: 'least_loaded: the least loaded outside the round',
    queue: [1, 2, 3],
    rules: { mode: 'least_loaded' },
    ops: [op(1, { load: { notAnswered: 1 } }), op(2, { load: { notAnswered: 3 } }), op(3)],
    holder: 1,
    round: [3],
    expect: { operatorId: 2 },
  },
  {
    name: 'weighted: outside the round, credits returned with the round sitting out',
    queue: [1, 2, 3],
    rules: {
      mode: 'weighted',
      queue: [
        { id: 1, weight: 3 },
        { id: 2, weight: 1 },
        { id: 3, weight: 1 },
      ],
    },
    ops: [op(1, { credit: 2 }), op(2, { credit: -1 }), op(3, { credit: -1 })],
    holder: 1,
    expect: { operatorId: 2, credits: { 1: 0, 2: -2, 3: 0 } },
  },
  {
    name: 'all: pass-on is the portal queue’s business',
    queue: [1, 2],
    rules: { mode: 'all' },
    holder: 1,
    expect: { action: 'portal_queue' },
  },
];

describe('passOn', () => {
  for (const row of rows) {
    it(row.name, () => {
      const ops = row.ops ?? row.queue.map((id) => op(id));
      const d = passOn(
        queueOf(row.queue, row.rules),
        ops,
        { item: item(), holderId: row.holder, round: row.round },
        T0,
      );
      like(d, row.expect);
    });
  }

  it('a full strictly rotation visits everyone once before repeating', () => {
    const r = queueOf(five, { mode: 'strictly' });
    const ops = five.map((id) => op(id));
    let holder = 1;
    let round = [1];
    const visited = [1];
    for (let k = 0; k < 6; k++) {
      const d = passOn(r, ops, { item: item(), holderId: holder, round }, T0);
      assert.equal(d.action, 'assign');
      if (d.action !== 'assign') return;
      holder = d.operatorId;
      round = d.round!;
      visited.push(holder);
    }
    assert.deepEqual(visited, [1, 2, 3, 4, 5, 1, 2]);
  });
});
