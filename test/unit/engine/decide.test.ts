import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decide,
  type Item,
  type OperatorState,
  type QueueRules,
  type QueueRulesInput,
} from '../../../src/engine/index.ts';
import { HOUR, item, like, op, queueOf, T0 } from './fixtures.ts';

interface Row {
  name: string;
  queue: number[];
  rules?: QueueRulesInput;
  ops: OperatorState[];
  item?: Item;
  /** Only the keys given are compared. */
  expect: Record<string, unknown>;
}

const never = null;

const modeRows: Row[] = [
  {
    name: 'evenly: the operator whose last assignment is oldest',
    queue: [1, 2, 3],
    ops: [
      op(1, { lastAssignedAt: T0 - 10 }),
      op(2, { lastAssignedAt: T0 - 30 }),
      op(3, { lastAssignedAt: T0 - 20 }),
    ],
    expect: { action: 'assign', operatorId: 2, reason: { rule: 'evenly' } },
  },
  {
    name: 'evenly: never assigned counts as oldest',
    queue: [1, 2, 3],
    ops: [
      op(1, { lastAssignedAt: T0 - 10 }),
      op(2, { lastAssignedAt: T0 - 30 }),
      op(3, { lastAssignedAt: never }),
    ],
    expect: { operatorId: 3 },
  },
  {
    name: 'evenly: ties go by queue order',
    queue: [3, 1, 2],
    ops: [
      op(1, { lastAssignedAt: T0 - 5 }),
      op(2, { lastAssignedAt: T0 - 9 }),
      op(3, { lastAssignedAt: T0 - 9 }),
    ],
    expect: { operatorId: 3 },
  },
  {
    name: 'strictly: the first eligible in queue order, regardless of history',
    queue: [2, 1, 3],
    rules: { mode: 'strictly' },
    ops: [op(1, { lastAssignedAt: never }), op(2, { lastAssignedAt: T0 - 1 }), op(3)],
    expect: { operatorId: 2, reason: { rule: 'strictly' } },
  },
  {
    name: 'strictly: skips the unavailable head of the queue',
    queue: [2, 1, 3],
    rules: { mode: 'strictly' },
    ops: [op(1), op(2, { online: false }), op(3)],
    expect: {
      operatorId: 1,
      reason: { rule: 'strictly', skipped: { at_capacity: [], unavailable: [{ id: 2, why: 'offline' }] } },
    },
  },
  {
    name: 'all: hands the item to the portal queue',
    queue: [1, 2],
    rules: { mode: 'all' },
    ops: [op(1), op(2)],
    expect: { action: 'portal_queue', reason: { rule: 'portal_queue' } },
  },
  {
    name: 'all: hands to the portal even when nobody is available (the portal queues it)',
    queue: [1],
    rules: { mode: 'all' },
    ops: [op(1, { online: false })],
    expect: { action: 'portal_queue' },
  },
  {
    name: 'least_loaded: fewest counted open items',
    queue: [1, 2, 3],
    rules: { mode: 'least_loaded' },
    ops: [
      op(1, { load: { notAnswered: 2 } }),
      op(2, { load: { notAnswered: 1, operatorLast: 1 } }),
      op(3, { load: { clientLast: 1 } }),
    ],
    expect: { operatorId: 3, reason: { rule: 'least_loaded' } },
  },
  {
    name: 'least_loaded: a tie goes to the longest since last assignment',
    queue: [1, 2, 3],
    rules: { mode: 'least_loaded' },
    ops: [
      op(1, { load: { notAnswered: 1 }, lastAssignedAt: T0 - 100 }),
      op(2, { load: { notAnswered: 1 }, lastAssignedAt: T0 - 300 }),
      op(3, { load: { notAnswered: 4 }, lastAssignedAt: never }),
    ],
    expect: { operatorId: 2 },
  },
  {
    name: 'least_loaded: load is counted the way the limit counts it',
    queue: [1, 2],
    rules: { mode: 'least_loaded', capacity: { counts: 'not_yet_answered' } },
    ops: [
      op(1, { load: { notAnswered: 1 } }),
      op(2, { load: { notAnswered: 0, operatorLast: 5, clientLast: 3 } }),
    ],
    expect: { operatorId: 2 },
  },
  {
    name: 'weighted: the first item goes to the heaviest weight',
    queue: [1, 2, 3],
    rules: {
      mode: 'weighted',
      queue: [
        { id: 1, weight: 2 },
        { id: 2, weight: 5 },
        { id: 3, weight: 3 },
      ],
    },
    ops: [op(1), op(2), op(3)],
    expect: { operatorId: 2, reason: { rule: 'weighted' }, credits: { 1: 2, 2: -5, 3: 3 } },
  },
  {
    name: 'weighted: credits carried in the state decide',
    queue: [1, 2],
    rules: {
      mode: 'weighted',
      queue: [
        { id: 1, weight: 1 },
        { id: 2, weight: 1 },
      ],
    },
    ops: [op(1, { credit: -1 }), op(2, { credit: 1 })],
    expect: { operatorId: 2, credits: { 1: 0, 2: 0 } },
  },
  {
    name: 'weighted: someone sitting the pick out drops to zero credit',
    queue: [1, 2, 3],
    rules: { mode: 'weighted', queue: [{ id: 1 }, { id: 2 }, { id: 3 }] },
    ops: [op(1, { credit: 1 }), op(2, { credit: -2 }), op(3, { credit: 1, online: false })],
    expect: { operatorId: 1, credits: { 1: 0, 2: -1, 3: 0 } },
  },
];

const capacityRows: Row[] = [
  {
    name: 'an operator at the queue limit is skipped',
    queue: [1, 2],
    rules: { capacity: { limit: 2 } },
    ops: [op(1, { load: { notAnswered: 2 }, lastAssignedAt: never }), op(2, { lastAssignedAt: T0 })],
    expect: { operatorId: 2, reason: { skipped: { at_capacity: [1], unavailable: [] } } },
  },
  {
    name: 'a per-operator override lifts the queue limit',
    queue: [1, 2],
    rules: { capacity: { limit: 2 }, queue: [{ id: 1, limit: 5 }, { id: 2 }] },
    ops: [op(1, { load: { notAnswered: 4 }, lastAssignedAt: never }), op(2, { lastAssignedAt: T0 })],
    expect: { operatorId: 1 },
  },
  {
    name: 'a per-operator override can be stricter',
    queue: [1, 2],
    rules: { capacity: { limit: 10 }, queue: [{ id: 1, limit: 1 }, { id: 2 }] },
    ops: [op(1, { load: { notAnswered: 1 } }), op(2, { lastAssignedAt: T0 })],
    expect: { operatorId: 2, reason: { skipped: { at_capacity: [1] } } },
  },
  {
    name: 'limit 0 for an operator means never',
    queue: [1, 2],
    rules: { queue: [{ id: 1, limit: 0 }, { id: 2 }] },
    ops: [op(1), op(2, { lastAssignedAt: T0 })],
    expect: { operatorId: 2, reason: { skipped: { at_capacity: [1] } } },
  },
  {
    name: 'all_open counts every open item',
    queue: [1, 2],
    rules: { capacity: { limit: 3, counts: 'all_open' } },
    ops: [op(1, { load: { notAnswered: 1, clientLast: 1, operatorLast: 1 } }), op(2, { lastAssignedAt: T0 })],
    expect: { operatorId: 2 },
  },
  {
    name: 'excluding_waiting_client leaves out items where the operator wrote last',
    queue: [1, 2],
    rules: { capacity: { limit: 3, counts: 'excluding_waiting_client' } },
    ops: [op(1, { load: { notAnswered: 1, clientLast: 1, operatorLast: 5 } }), op(2, { lastAssignedAt: T0 })],
    expect: { operatorId: 1 },
  },
  {
    name: 'not_yet_answered counts only items the operator has not written in',
    queue: [1, 2],
    rules: { capacity: { limit: 2, counts: 'not_yet_answered' } },
    ops: [op(1, { load: { notAnswered: 1, clientLast: 7, operatorLast: 5 } }), op(2, { lastAssignedAt: T0 })],
    expect: { operatorId: 1 },
  },
  {
    name: 'everyone at the limit: the item waits, and the reason lists them',
    queue: [1, 2],
    rules: { capacity: { limit: 1 } },
    ops: [op(1, { load: { notAnswered: 1 } }), op(2, { load: { clientLast: 1 } })],
    expect: {
      action: 'wait',
      reason: { rule: 'wait', detail: 'nobody_eligible', skipped: { at_capacity: [1, 2] } },
    },
  },
];

const availabilityRows: Row[] = [
  {
    name: 'every kind of unavailability is skipped and named',
    queue: [1, 2, 3, 4, 5, 6, 7, 8, 9],
    rules: { queue: [1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => ({ id, autoAssign: id !== 8 })) },
    ops: [
      op(1, { active: false }),
      op(2, { online: false }),
      op(3, { workday: 'PAUSED' }),
      op(4, { workday: 'CLOSED' }),
      op(5, { absentUntil: T0 + HOUR }),
      op(6, { paused: true }),
      op(7, { schedule: { timeZone: 'Europe/Moscow', days: { mon: [['13:00', '18:00']] } } }),
      op(8),
      op(9, { workday: 'OPENED', lastAssignedAt: T0 }),
    ],
    expect: {
      operatorId: 9,
      reason: {
        skipped: {
          at_capacity: [],
          unavailable: [
            { id: 1, why: 'dismissed' },
            { id: 2, why: 'offline' },
            { id: 3, why: 'paused' },
            { id: 4, why: 'workday_closed' },
            { id: 5, why: 'absent' },
            { id: 6, why: 'manual_pause' },
            { id: 7, why: 'outside_hours' },
            { id: 8, why: 'excluded' },
          ],
        },
      },
    },
  },
  {
    name: 'availability check off: offline, absent and outside hours do not matter',
    queue: [1, 2],
    rules: { availability: { check: false } },
    ops: [
      op(1, {
        online: false,
        absentUntil: T0 + HOUR,
        workday: 'CLOSED',
        schedule: { timeZone: 'UTC', days: {} },
        lastAssignedAt: never,
      }),
      op(2, { lastAssignedAt: T0 }),
    ],
    expect: { operatorId: 1 },
  },
  {
    name: 'availability check off: a dismissed operator is still skipped',
    queue: [1, 2],
    rules: { availability: { check: false } },
    ops: [op(1, { active: false }), op(2, { lastAssignedAt: T0 })],
    expect: { operatorId: 2, reason: { skipped: { unavailable: [{ id: 1, why: 'dismissed' }] } } },
  },
  {
    name: 'a queue member the engine has no state for is skipped as unknown',
    queue: [1, 2],
    ops: [op(2)],
    expect: { operatorId: 2, reason: { skipped: { unavailable: [{ id: 1, why: 'unknown' }] } } },
  },
  {
    name: 'an empty queue waits with detail empty_queue',
    queue: [],
    ops: [],
    expect: { action: 'wait', reason: { rule: 'wait', detail: 'empty_queue' } },
  },
];

const crm = (entity: 'contact' | 'company' | 'lead', responsibleId: number) => ({ entity, responsibleId });

const responsibleRows: Row[] = [
  {
    name: 'responsible: a known client goes to their responsible when the rule is on',
    queue: [1, 2],
    rules: { responsible: { enabled: true } },
    ops: [op(1), op(2, { lastAssignedAt: T0 })],
    item: item('c', { crm: [crm('contact', 2)] }),
    expect: {
      operatorId: 2,
      reason: { rule: 'responsible_manager', responsible: { operatorId: 2, entity: 'contact' } },
    },
  },
  {
    name: 'responsible: rule off → the queue rule, responsible ignored',
    queue: [1, 2],
    ops: [op(1), op(2, { lastAssignedAt: T0 })],
    item: item('c', { crm: [crm('contact', 2)] }),
    expect: { operatorId: 1, reason: { rule: 'evenly' } },
  },
  {
    name: 'responsible: works for someone outside the queue',
    queue: [1],
    rules: { responsible: { enabled: true } },
    ops: [op(1), op(42)],
    item: item('c', { crm: [crm('lead', 42)] }),
    expect: { operatorId: 42, reason: { rule: 'responsible_manager' } },
  },
  {
    name: 'responsible unavailable, availability checked → the queue rule, with why',
    queue: [1, 2],
    rules: { responsible: { enabled: true } },
    ops: [op(1), op(2, { online: false })],
    item: item('c', { crm: [crm('contact', 2)] }),
    expect: {
      operatorId: 1,
      reason: {
        rule: 'evenly',
        responsible: { operatorId: 2, entity: 'contact', passedOver: 'offline' },
      },
    },
  },
  {
    name: 'responsible unavailable, availability not checked → the responsible anyway',
    queue: [1, 2],
    rules: { responsible: { enabled: true }, availability: { check: false } },
    ops: [op(1), op(2, { online: false })],
    item: item('c', { crm: [crm('contact', 2)] }),
    expect: {
      operatorId: 2,
      reason: { rule: 'responsible_manager', responsible: { operatorId: 2, assignedDespite: 'offline' } },
    },
  },
  {
    name: 'responsible at the limit → the queue rule',
    queue: [1, 2],
    rules: { responsible: { enabled: true }, capacity: { limit: 1 } },
    ops: [op(1), op(2, { load: { notAnswered: 1 } })],
    item: item('c', { crm: [crm('contact', 2)] }),
    expect: { operatorId: 1, reason: { responsible: { passedOver: 'at_capacity' } } },
  },
  {
    name: 'responsible dismissed, check off → the queue rule',
    queue: [1],
    rules: { responsible: { enabled: true }, availability: { check: false } },
    ops: [op(1), op(2, { active: false })],
    item: item('c', { crm: [crm('contact', 2)] }),
    expect: { operatorId: 1, reason: { responsible: { passedOver: 'dismissed' } } },
  },
  {
    name: 'responsible: contact beats company beats lead by default',
    queue: [1],
    rules: { responsible: { enabled: true } },
    ops: [op(1), op(10), op(20), op(30)],
    item: item('c', { crm: [crm('lead', 30), crm('company', 20), crm('contact', 10)] }),
    expect: { operatorId: 10, reason: { responsible: { entity: 'contact' } } },
  },
  {
    name: 'responsible: company beats lead when there is no contact',
    queue: [1],
    rules: { responsible: { enabled: true } },
    ops: [op(1), op(20), op(30)],
    item: item('c', { crm: [crm('lead', 30), crm('company', 20)] }),
    expect: { operatorId: 20 },
  },
  {
    name: 'responsible: precedence is configurable',
    queue: [1],
    rules: { responsible: { enabled: true, precedence: ['lead', 'company', 'contact'] } },
    ops: [op(1), op(10), op(30)],
    item: item('c', { crm: [crm('contact', 10), crm('lead', 30)] }),
    expect: { operatorId: 30, reason: { responsible: { entity: 'lead' } } },
  },
  {
    name: 'responsible: only the top link is tried; the next link does not stand in',
    queue: [1],
    rules: { responsible: { enabled: true } },
    ops: [op(1), op(10, { online: false }), op(20)],
    item: item('c', { crm: [crm('contact', 10), crm('company', 20)] }),
    expect: { operatorId: 1, reason: { responsible: { operatorId: 10, passedOver: 'offline' } } },
  },
  {
    name: 'responsible with no known state → the queue rule (unknown)',
    queue: [1],
    rules: { responsible: { enabled: true } },
    ops: [op(1)],
    item: item('c', { crm: [crm('contact', 99)] }),
    expect: { operatorId: 1, reason: { responsible: { passedOver: 'unknown' } } },
  },
  {
    name: 'responsible: applies before the portal queue in mode all',
    queue: [1],
    rules: { responsible: { enabled: true }, mode: 'all' },
    ops: [op(1), op(2)],
    item: item('c', { crm: [crm('company', 2)] }),
    expect: { action: 'assign', operatorId: 2 },
  },
  {
    name: 'responsible: leads use the same rule',
    queue: [1],
    rules: { responsible: { enabled: true } },
    ops: [op(1), op(2)],
    item: { id: 501, kind: 'lead', crm: [crm('contact', 2)] },
    expect: { itemId: 501, operatorId: 2, reason: { rule: 'responsible_manager' } },
  },
];

const stickyRows: Row[] = [
  {
    name: 'sticky is off by default',
    queue: [1, 2],
    ops: [op(1), op(2, { lastAssignedAt: T0 })],
    item: item('c', { previousOperatorId: 2 }),
    expect: { operatorId: 1, reason: { rule: 'evenly' } },
  },
  {
    name: 'sticky: a returning client goes back to their last operator',
    queue: [1, 2],
    rules: { sticky: { enabled: true } },
    ops: [op(1), op(2, { lastAssignedAt: T0 })],
    item: item('c', { previousOperatorId: 2 }),
    expect: { operatorId: 2, reason: { rule: 'sticky' } },
  },
  {
    name: 'sticky: not while that operator is unavailable',
    queue: [1, 2],
    rules: { sticky: { enabled: true } },
    ops: [op(1), op(2, { paused: true })],
    item: item('c', { previousOperatorId: 2 }),
    expect: {
      operatorId: 1,
      reason: { rule: 'evenly', sticky: { operatorId: 2, passedOver: 'manual_pause' } },
    },
  },
  {
    name: 'sticky: not to someone outside this queue',
    queue: [1],
    rules: { sticky: { enabled: true } },
    ops: [op(1), op(2)],
    item: item('c', { previousOperatorId: 2 }),
    expect: { operatorId: 1, reason: { sticky: { operatorId: 2, passedOver: 'not_in_queue' } } },
  },
  {
    name: 'sticky: the responsible comes first',
    queue: [1, 2, 3],
    rules: { sticky: { enabled: true }, responsible: { enabled: true } },
    ops: [op(1), op(2), op(3)],
    item: item('c', { previousOperatorId: 2, crm: [crm('contact', 3)] }),
    expect: { operatorId: 3, reason: { rule: 'responsible_manager' } },
  },
  {
    name: 'sticky: takes over when the responsible is unavailable',
    queue: [1, 2, 3],
    rules: { sticky: { enabled: true }, responsible: { enabled: true } },
    ops: [op(1), op(2), op(3, { online: false })],
    item: item('c', { previousOperatorId: 2, crm: [crm('contact', 3)] }),
    expect: {
      operatorId: 2,
      reason: { rule: 'sticky', responsible: { operatorId: 3, passedOver: 'offline' } },
    },
  },
];

function run(rows: Row[]) {
  for (const row of rows) {
    it(row.name, () => {
      const r: QueueRules = queueOf(row.queue, row.rules);
      const d = decide(r, row.ops, row.item ?? item(), T0);
      like(d, row.expect);
    });
  }
}

describe('decide: modes', () => run(modeRows));
describe('decide: capacity', () => run(capacityRows));
describe('decide: availability', () => run(availabilityRows));
describe('decide: responsible manager', () => run(responsibleRows));
describe('decide: sticky', () => run(stickyRows));

describe('decide: stamps', () => {
  it('is at least now and newer than every last assignment, so same-millisecond decisions never tie', () => {
    const r = queueOf([1, 2, 3]);
    const ops = [
      op(1, { lastAssignedAt: T0 }),
      op(2, { lastAssignedAt: T0 + 1 }),
      op(3, { lastAssignedAt: null }),
    ];
    const d = decide(r, ops, item(), T0);
    assert.equal(d.action === 'assign' && d.stamp, T0 + 2);
    const later = decide(r, ops, item(), T0 + 1000);
    assert.equal(later.action === 'assign' && later.stamp, T0 + 1000);
  });

  it('does not change the inputs', () => {
    const r = queueOf([1, 2], { mode: 'weighted' });
    const ops = [op(1, { credit: 0 }), op(2, { credit: 0 })];
    const before = JSON.stringify({ r, ops });
    decide(r, ops, item(), T0);
    assert.equal(JSON.stringify({ r, ops }), before);
  });

  it('caps the skipped list and counts the rest', () => {
    const ids = Array.from({ length: 80 }, (_, i) => i + 1);
    const r = queueOf(ids);
    const ops = ids.map((id) => op(id, { online: id === 80 }));
    const d = decide(r, ops, item(), T0);
    assert.equal(d.action === 'assign' && d.operatorId, 80);
    assert.equal(d.reason.skipped.unavailable.length, 50);
    assert.equal(d.reason.skipped.omitted, 29);
  });
});
