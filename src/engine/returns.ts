import { availabilityOf, countedLoad } from './availability.ts';
import type { QueueRules } from './schema.ts';
import type { OperatorState } from './types.ts';

/**
 * Coming back from an absence without a flood. evenly (the longest since their last turn gets
 * one, then waits a round), strictly (the first in the list, as before the absence) and
 * weighted (credits restart level: flow.ts) need nothing here. least_loaded would hand an
 * empty desk every new item until it is as full as the others': for a grace period after an
 * absence, the returner ranks as if they carried the least loaded colleague's load on top of
 * their own (OperatorState.loadOffset), so each round gives them one item, like everyone.
 */

/** How long after an absence the returner's offset applies (about a working day). */
export const RETURN_GRACE_MS = 12 * 3600_000;

/** When the operator came back from their latest absence (its end, if it has ended by `now`). */
export function returnedAt(op: Pick<OperatorState, 'absences'>, now: number): number | null {
  let back: number | null = null;
  for (const a of op.absences ?? []) if (a.to <= now && (back === null || a.to > back)) back = a.to;
  return back;
}

/**
 * The states with least-loaded offsets for members back from an absence within the grace
 * period: the lowest counted load among the other members available now, less their own, if
 * positive. Other modes, and queues where nobody is back, get the states unchanged.
 */
export function returnOffsets(
  states: readonly OperatorState[],
  rules: QueueRules,
  now: number,
  graceMs = RETURN_GRACE_MS,
): OperatorState[] {
  if (rules.mode !== 'least_loaded') return [...states];
  const members = new Set(rules.queue.map((m) => m.id));
  const back = (s: OperatorState) => {
    const r = returnedAt(s, now);
    return r !== null && now - r < graceMs;
  };
  const returners = states.filter((s) => members.has(s.id) && back(s));
  if (returners.length === 0) return [...states];
  const counts = rules.capacity.counts;
  const others = states.filter(
    (s) => members.has(s.id) && !back(s) && availabilityOf(s, rules, now) === null,
  );
  if (others.length === 0) return [...states];
  const least = Math.min(...others.map((s) => countedLoad(s.load, counts)));
  return states.map((s) => {
    if (!returners.includes(s)) return s;
    const offset = least - countedLoad(s.load, counts);
    return offset > 0 ? { ...s, loadOffset: offset } : s;
  });
}
