import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  availabilityOf,
  countedLoad,
  type OperatorState,
  type QueueRulesInput,
  type UnavailableWhy,
  type WorkSchedule,
} from '../../../src/engine/index.ts';
import { evaluateSchedule } from '../../../src/engine/schedule.ts';
import { HOUR, MIN, op, queueOf, T0 } from './fixtures.ts';

const msk = (days: WorkSchedule['days']): WorkSchedule => ({ timeZone: 'Europe/Moscow', days });

describe('availabilityOf', () => {
  const rows: {
    name: string;
    op: Partial<OperatorState>;
    rules?: QueueRulesInput;
    at?: number;
    why: UnavailableWhy | null;
  }[] = [
    { name: 'active, online, nothing else known → available', op: {}, why: null },
    { name: 'dismissed', op: { active: false }, why: 'dismissed' },
    { name: 'offline', op: { online: false }, why: 'offline' },
    {
      name: 'offline but online is not required',
      op: { online: false },
      rules: { availability: { requireOnline: false } },
      why: null,
    },
    { name: 'workday OPENED', op: { workday: 'OPENED' }, why: null },
    { name: 'workday PAUSED (a break)', op: { workday: 'PAUSED' }, why: 'paused' },
    { name: 'workday CLOSED', op: { workday: 'CLOSED' }, why: 'workday_closed' },
    { name: 'workday EXPIRED (never closed yesterday)', op: { workday: 'EXPIRED' }, why: 'workday_closed' },
    { name: 'no time tracking on the portal (workday null)', op: { workday: null }, why: null },
    {
      name: 'time tracking ignored by the rules',
      op: { workday: 'CLOSED' },
      rules: { availability: { useTimeTracking: false } },
      why: null,
    },
    { name: 'absent until later', op: { absentUntil: T0 + HOUR }, why: 'absent' },
    { name: 'absence over', op: { absentUntil: T0 - 1 }, why: null },
    { name: 'manual pause', op: { paused: true }, why: 'manual_pause' },
    { name: 'timed manual pause running', op: { pausedUntil: T0 + 5 * MIN }, why: 'manual_pause' },
    { name: 'timed manual pause over', op: { pausedUntil: T0 }, why: null },
    {
      name: 'inside own hours (12:00 Moscow)',
      op: { schedule: msk({ mon: [['09:00', '18:00']] }) },
      why: null,
    },
    {
      name: 'outside own hours (12:00 Moscow)',
      op: { schedule: msk({ mon: [['14:00', '18:00']] }) },
      why: 'outside_hours',
    },
    {
      name: 'the same instant is inside hours in another time zone (05:00 New York is not)',
      op: { schedule: { timeZone: 'America/New_York', days: { mon: [['09:00', '18:00']] } } },
      why: 'outside_hours',
    },
    {
      name: 'schedules ignored by the rules',
      op: { schedule: msk({}) },
      rules: { availability: { useSchedules: false } },
      why: null,
    },
    {
      name: 'check off: only dismissal counts',
      op: { online: false, paused: true, absentUntil: T0 + HOUR, workday: 'PAUSED', schedule: msk({}) },
      rules: { availability: { check: false } },
      why: null,
    },
    {
      name: 'check off: dismissed still',
      op: { active: false },
      rules: { availability: { check: false } },
      why: 'dismissed',
    },
    {
      name: 'several causes: the longest-lasting is named first',
      op: { online: false, absentUntil: T0 + HOUR, paused: true },
      why: 'absent',
    },
    {
      name: 'member with auto-assignment off is excluded',
      op: {},
      rules: { queue: [{ id: 1, autoAssign: false }] },
      why: 'excluded',
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      assert.equal(availabilityOf(op(1, row.op), queueOf([1], row.rules), row.at ?? T0), row.why);
    });
  }
});

describe('countedLoad', () => {
  const load = { notAnswered: 2, clientLast: 3, operatorLast: 5 };
  it('all_open counts everything', () => assert.equal(countedLoad(load, 'all_open'), 10));
  it('excluding_waiting_client leaves out operator-wrote-last', () =>
    assert.equal(countedLoad(load, 'excluding_waiting_client'), 5));
  it('not_yet_answered counts only unanswered', () => assert.equal(countedLoad(load, 'not_yet_answered'), 2));
  it('answered_only leaves out the unanswered', () => assert.equal(countedLoad(load, 'answered_only'), 8));
  it('missing parts count as zero', () => assert.equal(countedLoad({ clientLast: 1 }, 'all_open'), 1));
});

describe('working-hours schedules', () => {
  const at = (iso: string) => Date.parse(iso);
  it('an interval past midnight covers the small hours of the next day', () => {
    const s = msk({ fri: [['22:00', '06:00']] });
    assert.equal(evaluateSchedule(s, at('2025-06-06T19:30:00Z')).inside, true); // Fri 22:30 MSK
    assert.equal(evaluateSchedule(s, at('2025-06-07T02:59:00Z')).inside, true); // Sat 05:59
    assert.equal(evaluateSchedule(s, at('2025-06-07T03:00:00Z')).inside, false); // Sat 06:00
  });

  it('a Sunday night shift runs into Monday', () => {
    const s = msk({ sun: [['20:00', '02:00']] });
    assert.equal(evaluateSchedule(s, at('2025-06-01T22:30:00Z')).inside, true); // Mon 01:30 MSK
    assert.equal(evaluateSchedule(s, at('2025-06-01T23:00:00Z')).inside, false); // Mon 02:00
  });

  it('says when the answer changes next: the end of the shift', () => {
    const s = msk({ mon: [['09:00', '18:00']] });
    assert.deepEqual(evaluateSchedule(s, T0), { inside: true, changesAt: at('2025-06-02T15:00:00Z') });
  });

  it('says when the answer changes next: the start of the next shift', () => {
    const s = msk({ tue: [['09:00', '18:00']] });
    assert.deepEqual(evaluateSchedule(s, at('2025-06-02T16:00:00Z')), {
      inside: false,
      changesAt: at('2025-06-03T06:00:00Z'),
    });
  });

  it('never looks more than a day ahead', () => {
    const s = msk({ fri: [['09:00', '18:00']] });
    assert.equal(evaluateSchedule(s, T0).changesAt, T0 + 24 * HOUR);
  });

  it('handles a DST spring-forward: 09:00 New York is 13:00 UTC after the switch', () => {
    const s: WorkSchedule = { timeZone: 'America/New_York', days: { sun: [['09:00', '17:00']] } };
    const sat = at('2025-03-08T18:00:00Z'); // Sat 13:00 EST
    assert.deepEqual(evaluateSchedule(s, sat), { inside: false, changesAt: at('2025-03-09T13:00:00Z') });
  });

  it('handles a DST fall-back: 17:00 New York is 22:00 UTC after the switch', () => {
    const s: WorkSchedule = { timeZone: 'America/New_York', days: { sun: [['00:30', '17:00']] } };
    const sunEarly = at('2025-11-02T05:00:00Z'); // Sun 01:00 EDT, before the switch
    assert.deepEqual(evaluateSchedule(s, sunEarly), { inside: true, changesAt: at('2025-11-02T22:00:00Z') });
  });

  it('an empty schedule is never inside; a full week is always inside', () => {
    assert.equal(evaluateSchedule(msk({}), T0).inside, false);
    const all = msk(
      Object.fromEntries(
        ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [['00:00', '24:00']]]),
      ),
    );
    assert.deepEqual(evaluateSchedule(all, T0), { inside: true, changesAt: Number.POSITIVE_INFINITY });
  });
});
