import { evaluateSchedule } from './schedule.ts';
import type { LoadCounting, QueueMember, QueueRules } from './schema.ts';
import type { IneligibleWhy, OpenLoad, OperatorState, UnavailableWhy } from './types.ts';

/**
 * Who may take an item. Dismissed operators and members with auto-assignment off are never
 * eligible; everything else about availability applies only when the queue checks it
 * (CHECK_AVAILABLE). Capacity applies always.
 */

export interface AvailabilityWindow {
  why: UnavailableWhy | null;
  /** The earliest time the answer may change by the clock alone (absence end, pause end, shift edge). */
  recheckAt: number;
}

const NEVER = Number.POSITIVE_INFINITY;

/** Availability with its validity; `member` is the operator's queue entry, if any. */
export function availabilityWindow(
  op: OperatorState,
  rules: QueueRules,
  member: QueueMember | undefined,
  now: number,
  force = false,
): AvailabilityWindow {
  if (member && !member.autoAssign) return { why: 'excluded', recheckAt: NEVER };
  if (!op.active) return { why: 'dismissed', recheckAt: NEVER };
  const a = rules.availability;
  if (!a.check && !force) return { why: null, recheckAt: NEVER };
  let recheckAt = NEVER;
  let why: UnavailableWhy | null = null;
  // Checked in this order so the reason names the longest-lasting cause first.
  if (op.absentUntil != null && now < op.absentUntil) {
    why = 'absent';
    recheckAt = op.absentUntil;
  }
  for (const a of op.absences ?? []) {
    if (a.from <= now && now < a.to) {
      why = 'absent';
      recheckAt = Math.min(recheckAt, a.to);
    } else if (now < a.from) recheckAt = Math.min(recheckAt, a.from);
  }
  if (op.paused === true) why ??= 'manual_pause';
  else if (op.pausedUntil != null && now < op.pausedUntil) {
    why ??= 'manual_pause';
    recheckAt = Math.min(recheckAt, op.pausedUntil);
  }
  if (a.requireOnline && !op.online) why ??= 'offline';
  if (a.useTimeTracking && op.workday) {
    if (op.workday === 'PAUSED') why ??= 'paused';
    else if (op.workday !== 'OPENED') why ??= 'workday_closed';
  }
  if (a.useSchedules && op.schedule) {
    const s = evaluateSchedule(op.schedule, now);
    if (!s.inside) why ??= 'outside_hours';
    recheckAt = Math.min(recheckAt, s.changesAt);
  }
  return { why, recheckAt };
}

/** Per-rules lookup of queue members by id, built once per rules object. */
const memberMaps = new WeakMap<QueueRules, Map<number, QueueMember>>();
export function membersById(rules: QueueRules): Map<number, QueueMember> {
  let m = memberMaps.get(rules);
  if (!m) {
    m = new Map();
    for (const q of rules.queue) if (!m.has(q.id)) m.set(q.id, q);
    memberMaps.set(rules, m);
  }
  return m;
}

/** Why the operator is not available for this queue at `now`, or null when available. */
export function availabilityOf(op: OperatorState, rules: QueueRules, now: number): UnavailableWhy | null {
  return availabilityWindow(op, rules, membersById(rules).get(op.id), now).why;
}

/** The operator's open items that count toward the limit under `counts`. */
export function countedLoad(load: Partial<OpenLoad> | undefined, counts: LoadCounting): number {
  if (!load) return 0;
  const notAnswered = load.notAnswered ?? 0;
  if (counts === 'not_yet_answered') return notAnswered;
  const clientLast = load.clientLast ?? 0;
  if (counts === 'excluding_waiting_client') return notAnswered + clientLast;
  const operatorLast = load.operatorLast ?? 0;
  if (counts === 'answered_only') return clientLast + operatorLast;
  return notAnswered + clientLast + operatorLast;
}

/** The operator's limit in this queue; null = unlimited. */
export function limitOf(rules: QueueRules, member: QueueMember | undefined): number | null {
  return member?.limit ?? rules.capacity.limit;
}

/** Eligibility: null when the operator may take an item now, else why not. */
export function eligibility(
  op: OperatorState | undefined,
  rules: QueueRules,
  member: QueueMember | undefined,
  now: number,
): IneligibleWhy | null {
  if (!op) return 'unknown';
  const why = availabilityWindow(op, rules, member, now).why;
  if (why) return why;
  const limit = limitOf(rules, member);
  if (limit !== null && countedLoad(op.load, rules.capacity.counts) >= limit) return 'at_capacity';
  if (overQuota(op)) return 'over_quota';
  return null;
}

/** At their quota for the period: no room left (quotaLeft 0); no quota = never. */
export function overQuota(op: Pick<OperatorState, 'quotaLeft'> | undefined): boolean {
  return op?.quotaLeft != null && op.quotaLeft <= 0;
}
