import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyQuota,
  breachStep,
  dayStart,
  deadlineAt,
  defaultRules,
  percentile,
  shiftStart,
  underCap,
  workingMs,
} from '../../../src/engine/index.ts';
import { leadSettingsSchema, lineSettingsSchema } from '../../../src/settings/schema.ts';

const MIN = 60_000;
/** Mon–Fri 09:00–18:00 in Moscow (UTC+3, no DST). */
const HOURS = {
  timeZone: 'Europe/Moscow',
  days: Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['09:00', '18:00']]])),
} as const;
// 2026-12-02 is a Wednesday.
const msk = (iso: string) => Date.parse(`${iso}+03:00`);

describe('first-touch deadline', () => {
  test('around the clock: N minutes later, to the millisecond', () => {
    const t = msk('2026-12-02T03:00:00');
    assert.equal(deadlineAt(t, 15 * MIN, null), t + 15 * MIN);
  });

  test('inside working hours the clock runs', () => {
    assert.equal(deadlineAt(msk('2026-12-02T10:00:00'), 15 * MIN, HOURS), msk('2026-12-02T10:15:00'));
  });

  test('assigned near closing: the rest counts from the next opening', () => {
    assert.equal(deadlineAt(msk('2026-12-02T17:55:00'), 15 * MIN, HOURS), msk('2026-12-03T09:10:00'));
  });

  test('assigned outside hours (Friday night): due Monday 09:15', () => {
    assert.equal(deadlineAt(msk('2026-12-04T22:00:00'), 15 * MIN, HOURS), msk('2026-12-07T09:15:00'));
  });

  test('a schedule with no working time is never due', () => {
    assert.equal(deadlineAt(0, MIN, { timeZone: 'UTC', days: {} }), Number.POSITIVE_INFINITY);
  });

  test('working minutes between two instants skip the night', () => {
    assert.equal(workingMs(msk('2026-12-02T17:50:00'), msk('2026-12-03T09:05:00'), HOURS), 15 * MIN);
    assert.equal(workingMs(5, 3, null), 0);
  });
});

describe('breach steps', () => {
  const s = { onBreach: 'reassign' as const, escalateAfterBreaches: 2, supervisorId: 9 };
  test('first breach: the action only; second: escalated to the supervisor, and final', () => {
    assert.deepEqual(breachStep(1, s), { action: 'reassign', escalate: false, final: false });
    assert.deepEqual(breachStep(2, s), { action: 'reassign', escalate: true, final: true });
  });
  test('without a supervisor the second breach ends the watch without escalating', () => {
    assert.deepEqual(breachStep(2, { ...s, onBreach: 'notify', supervisorId: null }), {
      action: 'notify',
      escalate: false,
      final: true,
    });
  });
});

describe('percentile, day and shift start', () => {
  test('nearest rank', () => {
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([5, 1, 3, 2, 4], 50), 3);
    assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90), 9);
  });
  test('the portal midnight in its zone and for a fixed offset', () => {
    assert.equal(dayStart(msk('2026-12-02T01:30:00'), 'Europe/Moscow'), msk('2026-12-02T00:00:00'));
    assert.equal(dayStart(msk('2026-12-02T01:30:00'), 180), msk('2026-12-02T00:00:00'));
    assert.equal(dayStart(Date.parse('2026-12-02T23:59:00Z'), 'UTC'), Date.parse('2026-12-02T00:00:00Z'));
  });
  test('shift start: the latest interval start, yesterday when before today’s opening', () => {
    assert.equal(shiftStart(msk('2026-12-02T12:34:00'), HOURS), msk('2026-12-02T09:00:00'));
    assert.equal(shiftStart(msk('2026-12-02T08:00:00'), HOURS), msk('2026-12-01T09:00:00'));
    assert.equal(shiftStart(0, { timeZone: 'UTC', days: {} }), null);
  });
});

describe('quotas', () => {
  const rules = {
    ...defaultRules(),
    mode: 'weighted' as const,
    queue: [2, 3, 4].map((id) => ({ id, weight: 1, autoAssign: true })),
  };
  const caps = { perOperator: 3, operators: { '4': 1 } };
  test('at N-1 an operator stays in; at N they sit out (per-operator cap over the default)', () => {
    const r = applyQuota(
      rules,
      caps,
      new Map([
        [2, 2],
        [3, 3],
        [4, 1],
      ]),
    );
    assert.deepEqual(r.over, [3, 4]);
    assert.deepEqual(
      r.rules.queue.map((m) => m.autoAssign),
      [true, false, false],
    );
    assert.equal(rules.queue[1].autoAssign, true, 'the input rules are not changed');
  });
  test('nothing over: the same rules object; underCap at N and N+1', () => {
    const counts = new Map([[2, 2]]);
    assert.equal(applyQuota(rules, caps, counts).rules, rules);
    assert.equal(underCap(caps, 2, counts), true);
    assert.equal(underCap(caps, 2, new Map([[2, 3]])), false);
    assert.equal(underCap({ perOperator: null, operators: {} }, 2, new Map([[2, 999]])), true);
  });
});

describe('speed settings validation', () => {
  test('defaults: off, 15 minutes, reassign, escalate after the 2nd breach', () => {
    const s = leadSettingsSchema.parse({});
    assert.equal(s.firstTouch.enabled, false);
    assert.equal(s.firstTouch.minutes, 15);
    assert.equal(s.firstTouch.onBreach, 'reassign');
    assert.equal(s.firstTouch.escalateAfterBreaches, 2);
    assert.equal(s.quota.overflow.to, 'wait');
    assert.equal(lineSettingsSchema.parse({}).firstMessage.seconds, null);
  });
  test('bad values are refused with the keyed messages', () => {
    const bad = leadSettingsSchema.safeParse({
      firstTouch: { minutes: 0 },
      quota: { overflow: { to: 'route', route: 'nope' }, operators: { x: 1 } },
      routes: [{ name: 'web', firstTouch: { enabled: true, minutes: 10 } }],
    });
    assert.equal(bad.success, false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    assert.ok(paths.includes('firstTouch.minutes'), paths.join());
    assert.ok(paths.includes('quota.operators.x'), paths.join());
    const person = leadSettingsSchema.safeParse({ quota: { overflow: { to: 'person' } } });
    assert.equal(person.success, false);
    assert.match(person.error!.issues[0].message, /overflow to a person/);
    const ok = leadSettingsSchema.parse({
      routes: [{ name: 'web', firstTouch: { enabled: true, minutes: 10 } }],
      quota: { overflow: { to: 'route', route: 'web' } },
    });
    assert.equal(ok.routes[0].firstTouch?.minutes, 10);
  });
});
