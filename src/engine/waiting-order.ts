import type { Item } from './types.ts';

/** Waiting-queue order: higher priority first, then earlier arrival; items without a time go last. */
export function compareWaiting(a: Item, b: Item): number {
  const dp = (b.priority ?? 0) - (a.priority ?? 0);
  if (dp !== 0) return dp;
  return (a.arrivedAt ?? Number.POSITIVE_INFINITY) - (b.arrivedAt ?? Number.POSITIVE_INFINITY) || 0;
}
