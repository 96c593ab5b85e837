import type { IneligibleWhy } from './types.ts';

/**
 * The index caches each member's eligibility as a small integer, not a string, so the hot
 * paths compare numbers and the bit sets can be kept by position. 0 is eligible; every other
 * code names one IneligibleWhy; PLACED_NOWHERE marks a slot that is not (or no longer) a member.
 */
export const WHY: readonly (IneligibleWhy | null)[] = [
  null,
  'excluded',
  'unknown',
  'dismissed',
  'absent',
  'manual_pause',
  'offline',
  'paused',
  'workday_closed',
  'outside_hours',
  'at_capacity',
  'over_quota',
];
const CODE = new Map(WHY.map((w, i) => [w, i]));

export const ELIGIBLE = 0;
export const PLACED_NOWHERE = -1;
export const NEVER = Number.POSITIVE_INFINITY;
export const AT_CAPACITY = CODE.get('at_capacity')!;
export const OVER_QUOTA = CODE.get('over_quota')!;
export const UNKNOWN = CODE.get('unknown')!;

/** The code of a why (or ELIGIBLE for null). */
export function codeOf(why: IneligibleWhy | null): number {
  return CODE.get(why)!;
}
