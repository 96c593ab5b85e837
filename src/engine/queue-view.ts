import { availabilityWindow, eligibility } from './availability.ts';
import { ELIGIBLE, WHY } from './eligibility-codes.ts';
import type { QueueView } from './flow.ts';
import type { QueueSlots } from './queue-slots.ts';
import type { Mode, QueueRules } from './schema.ts';
import type { SlotHeap } from './structures.ts';
import type { IneligibleWhy } from './types.ts';
import type { WeightedShares } from './weighted-shares.ts';

/** The Dispatcher's parts the view reads; rules and the clock are read at call time. */
export interface IndexParts {
  slots: QueueSlots;
  weighted: WeightedShares;
  /** evenly / least_loaded's heap; null in the other modes. */
  rank: SlotHeap | null;
  weightOf: (slot: number) => number;
  rules: () => QueueRules;
  now: () => number;
}

/**
 * The read side of the index that the decision flow (flow.ts) queries: who is eligible, the
 * mode's pick (with members a pass-on excludes taken out for one query), strictly's walk, the
 * reason's skipped list. Reads only; the Dispatcher keeps the parts current.
 */
export function queueViewOf(x: IndexParts): QueueView {
  const s = x.slots;

  const statusOf = (id: number): IneligibleWhy | null => {
    const slot = s.slotOf.get(id);
    if (slot === undefined) return 'unknown';
    if (s.member[slot]) return WHY[s.code[slot]];
    return eligibility(s.state[slot], x.rules(), undefined, x.now());
  };

  /** Runs `query` with the excluded eligible members taken out of the rank structures. */
  const without = <T>(exclude: ReadonlySet<number>, query: () => T): T => {
    const out: number[] = [];
    for (const id of exclude) {
      const o = s.slotOf.get(id);
      if (o !== undefined && s.member[o] && s.code[o] === ELIGIBLE) {
        out.push(o);
        if (x.rank) x.rank.remove(o);
        else x.weighted.sitOut(o, x.weightOf(o));
      }
    }
    try {
      return query();
    } finally {
      for (const o of out) {
        if (x.rank) x.rank.push(o);
        else x.weighted.sitIn(o, x.weightOf(o));
      }
    }
  };

  const pick = (mode: Exclude<Mode, 'all'>): number | null => {
    if (mode === 'strictly') return s.firstEligible();
    if (mode === 'weighted') {
      const winner = x.weighted.choose();
      return winner < 0 ? null : s.ids[winner];
    }
    const slot = x.rank!.peek();
    return slot < 0 ? null : s.ids[slot];
  };

  return {
    status: statusOf,
    strictAvailability: (id) => {
      const slot = s.slotOf.get(id);
      const st = slot === undefined ? undefined : s.state[slot];
      if (slot === undefined || !st) return 'unknown';
      return availabilityWindow(st, x.rules(), s.member[slot], x.now(), true).why;
    },
    isMember: (id) => s.isMember(id),
    memberCount: () => s.memberCount,
    pick: (mode, exclude) => (exclude && exclude.size > 0 ? without(exclude, () => pick(mode)) : pick(mode)),
    pickAfter: (holderId, exclude) => s.eligibleAfter(holderId, exclude),
    skipped: () => s.skipped(),
    eligibleInQueueOrder: (ids) => s.eligibleInQueueOrder(ids),
    stamp: (now) => Math.max(now, s.maxStamp + 1),
  };
}
