import { overQuota } from './availability.ts';
import { dayStart, shiftStart } from './deadlines.ts';
import type { QueueRules, WorkSchedule } from './schema.ts';
import type { Decision, OperatorState } from './types.ts';

/**
 * Quotas (issue 18): a per-operator cap of items per day or shift. Pure. A quota is a hard cap
 * applied before the queue's mode: members at their cap sit this decision out (as if their
 * auto-assignment were off), and the mode (weighted shares included) decides among the rest.
 */

export interface QuotaCaps {
  /** every operator's cap; null = none unless `operators` names one */
  perOperator: number | null;
  /** caps by user id (string keys, as settings store them) */
  operators: Readonly<Record<string, number>>;
}

/** The operator's cap, or null for none. */
export function capOf(caps: QuotaCaps, operatorId: number): number | null {
  return caps.operators[String(operatorId)] ?? caps.perOperator;
}

export interface QuotaApplied {
  /** the rules with members at their cap excluded */
  rules: QueueRules;
  /** members at (or past) their cap, in queue order */
  over: number[];
}

/** Excludes the queue's members whose count this period has reached their cap. */
export function applyQuota(
  rules: QueueRules,
  caps: QuotaCaps,
  counts: ReadonlyMap<number, number>,
): QuotaApplied {
  const over: number[] = [];
  const queue = rules.queue.map((m) => {
    const cap = capOf(caps, m.id);
    if (cap === null || (counts.get(m.id) ?? 0) < cap || !m.autoAssign) return m;
    over.push(m.id);
    return { ...m, autoAssign: false };
  });
  return over.length === 0 ? { rules, over } : { rules: { ...rules, queue }, over };
}

/** Whether one more item may go to `operatorId` (the overflow person is capped too). */
export function underCap(caps: QuotaCaps, operatorId: number, counts: ReadonlyMap<number, number>): boolean {
  const cap = capOf(caps, operatorId);
  return cap === null || (counts.get(operatorId) ?? 0) < cap;
}

/**
 * When each operator's period began: the day's start in `zone` (an IANA name or minutes east
 * of UTC), or per shift the start of the operator's current working interval (their schedule;
 * without one, the day).
 */
export function periodStarts(
  period: 'day' | 'shift',
  zone: string | number,
  ids: Iterable<number>,
  scheduleOf: (id: number) => WorkSchedule | null | undefined,
  now: number,
): Map<number, number> {
  const day = dayStart(now, zone);
  const since = new Map<number, number>();
  for (const id of ids) {
    const schedule = scheduleOf(id);
    since.set(id, period === 'shift' && schedule ? (shiftStart(now, schedule) ?? day) : day);
  }
  return since;
}

/**
 * Past everyone's quota, the settings' overflow person: a decision to wait that members at
 * their quota caused goes to them instead, while they have room of their own (the overflow
 * person is capped too) and are not dismissed. Anything else stands.
 */
export function overflowDecision(d: Decision, overflow: OperatorState | undefined, stamp: number): Decision {
  if (d.action !== 'wait' || (d.reason.skipped.over_quota?.length ?? 0) === 0) return d;
  if (!overflow?.active || overQuota(overflow)) return d;
  return {
    action: 'assign',
    itemId: d.itemId,
    operatorId: overflow.id,
    stamp,
    reason: { rule: 'quota_overflow', operatorId: overflow.id, skipped: d.reason.skipped },
  };
}
