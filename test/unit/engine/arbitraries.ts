import fc from 'fast-check';
import {
  type Item,
  type Mode,
  MODES,
  type OperatorState,
  type QueueRules,
  queueRulesSchema,
  type WorkdayStatus,
  type WorkSchedule,
} from '../../../src/engine/index.ts';
import { HOUR, T0 } from './fixtures.ts';

/** Random but valid inputs for the property tests: small queues with every feature in play. */

const WORKDAYS: (WorkdayStatus | null)[] = [null, 'OPENED', 'OPENED', 'PAUSED', 'CLOSED', 'EXPIRED'];
const ZONES = ['UTC', 'Europe/Moscow', 'Asia/Vladivostok', 'America/New_York'];

const time = fc.integer({ min: T0 - 2 * HOUR, max: T0 + 12 * HOUR });

const schedule: fc.Arbitrary<WorkSchedule> = fc
  .record({
    timeZone: fc.constantFrom(...ZONES),
    from: fc.integer({ min: 0, max: 23 }),
    hours: fc.integer({ min: 1, max: 12 }),
  })
  .map(({ timeZone, from, hours }) => {
    const hh = (h: number) => `${String(h % 24).padStart(2, '0')}:00`;
    const interval: [string, string] = [hh(from), hh(from + hours)];
    const days = Object.fromEntries(
      ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, [interval]]),
    );
    return { timeZone, days };
  });

export function operatorState(id: number, eager = false): fc.Arbitrary<OperatorState> {
  const rare = (p: number) => fc.integer({ min: 0, max: 99 }).map((x) => x < (eager ? 0 : p));
  return fc
    .record({
      dismissed: rare(8),
      offline: rare(15),
      workday: fc.constantFrom(...WORKDAYS),
      absent: rare(10),
      absentUntil: time,
      paused: rare(8),
      pausedUntil: fc.option(time, { nil: null }),
      schedule: fc.option(schedule, { freq: 3, nil: null }),
      notAnswered: fc.integer({ min: 0, max: 4 }),
      clientLast: fc.integer({ min: 0, max: 3 }),
      operatorLast: fc.integer({ min: 0, max: 3 }),
      lastAssignedAt: fc.option(fc.integer({ min: T0 - 10 * HOUR, max: T0 }), { nil: null }),
      credit: fc.integer({ min: -20, max: 20 }),
      // An absence entered ahead (running, past or coming) and a return offset (engine/returns.ts).
      away: rare(10),
      awayFrom: time,
      awayHours: fc.integer({ min: 1, max: 12 }),
      loadOffset: fc.option(fc.integer({ min: 1, max: 5 }), { freq: 5, nil: undefined }),
      // A quota's room this period (issue 18): none left, a little, or no quota at all.
      quotaLeft: fc.option(fc.integer({ min: 0, max: 2 }), { freq: 3, nil: undefined }),
    })
    .map((r) => ({
      id,
      active: !r.dismissed,
      online: !r.offline,
      workday: eager ? null : r.workday,
      absentUntil: r.absent ? r.absentUntil : null,
      paused: r.paused,
      pausedUntil: eager ? null : r.pausedUntil,
      schedule: eager ? null : r.schedule,
      load: { notAnswered: r.notAnswered, clientLast: r.clientLast, operatorLast: r.operatorLast },
      lastAssignedAt: r.lastAssignedAt,
      credit: r.credit,
      ...(r.away && !eager ? { absences: [{ from: r.awayFrom, to: r.awayFrom + r.awayHours * HOUR }] } : {}),
      ...(r.loadOffset !== undefined ? { loadOffset: r.loadOffset } : {}),
      ...(r.quotaLeft !== undefined ? { quotaLeft: r.quotaLeft } : {}),
    }));
}

/** Rules for a queue of members 1..n (in a shuffled order), with random per-member settings. */
export function queueRules(n: number, mode?: Mode): fc.Arbitrary<QueueRules> {
  return fc
    .record({
      mode: mode ? fc.constant(mode) : fc.constantFrom(...MODES),
      order: fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i + 1),
        { minLength: n, maxLength: n },
      ),
      members: fc.array(
        fc.record({
          limit: fc.option(fc.integer({ min: 0, max: 8 }), { freq: 4, nil: undefined }),
          weight: fc.integer({ min: 1, max: 6 }),
          autoAssign: fc.integer({ min: 0, max: 19 }).map((x) => x !== 0),
        }),
        { minLength: n, maxLength: n },
      ),
      limit: fc.option(fc.integer({ min: 1, max: 8 }), { nil: null }),
      counts: fc.constantFrom(
        'all_open',
        'not_yet_answered',
        'excluding_waiting_client',
        'answered_only' as const,
      ),
      check: fc.integer({ min: 0, max: 3 }).map((x) => x !== 0),
      requireOnline: fc.boolean(),
      responsible: fc.boolean(),
      sticky: fc.boolean(),
    })
    .map((r) =>
      queueRulesSchema.parse({
        mode: r.mode,
        queue: r.order.map((id, i) => ({ id, ...r.members[i] })),
        capacity: { limit: r.limit, counts: r.counts },
        availability: { check: r.check, requireOnline: r.requireOnline },
        responsible: { enabled: r.responsible },
        sticky: { enabled: r.sticky },
      }),
    );
}

/** An item that may carry CRM links (to members or to outsiders 90..92) and a previous operator. */
export function itemArb(n: number): fc.Arbitrary<Omit<Item, 'id'>> {
  const someone = fc.oneof(fc.integer({ min: 1, max: Math.max(1, n) }), fc.integer({ min: 90, max: 93 }));
  return fc.record({
    kind: fc.constantFrom('dialog' as const, 'lead' as const),
    crm: fc.array(
      fc.record({
        entity: fc.constantFrom('contact' as const, 'company' as const, 'lead' as const),
        responsibleId: someone,
      }),
      { maxLength: 2 },
    ),
    previousOperatorId: fc.option(someone, { nil: null }),
  });
}
