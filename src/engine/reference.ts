import { availabilityWindow, countedLoad, eligibility, membersById } from './availability.ts';
import { decideWith, passOnWith, type QueueView, SKIPPED_LIST_LIMIT } from './flow.ts';
import type { Mode, QueueMember, QueueRules } from './schema.ts';
import type { Decision, IneligibleWhy, Item, OperatorState, PassOnRequest, Skipped } from './types.ts';

/**
 * The plain, obviously-correct implementation: every query scans the queue. It is what
 * `decide` and `passOn` run, and the yardstick the index is property-tested against.
 */
export class ReferenceView implements QueueView {
  readonly #rules: QueueRules;
  readonly #now: number;
  readonly #byId = new Map<number, OperatorState>();
  readonly #members: QueueMember[];
  readonly #memberById: Map<number, QueueMember>;
  readonly #status = new Map<number, IneligibleWhy | null>();

  constructor(rules: QueueRules, operators: readonly OperatorState[], now: number) {
    this.#rules = rules;
    this.#now = now;
    for (const op of operators) this.#byId.set(op.id, op);
    this.#memberById = membersById(rules);
    this.#members = [...this.#memberById.values()];
  }

  status(id: number): IneligibleWhy | null {
    let s = this.#status.get(id);
    if (s === undefined) {
      s = eligibility(this.#byId.get(id), this.#rules, this.#memberById.get(id), this.#now);
      this.#status.set(id, s);
    }
    return s;
  }

  strictAvailability(id: number) {
    const op = this.#byId.get(id);
    if (!op) return 'unknown' as const;
    return availabilityWindow(op, this.#rules, this.#memberById.get(id), this.#now, true).why;
  }

  isMember(id: number): boolean {
    return this.#memberById.has(id);
  }

  memberCount(): number {
    return this.#members.length;
  }

  #eligible(exclude: ReadonlySet<number> | null): QueueMember[] {
    return this.#members.filter((m) => this.status(m.id) === null && !exclude?.has(m.id));
  }

  #last(id: number): number {
    return this.#byId.get(id)?.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
  }

  pick(mode: Exclude<Mode, 'all'>, exclude: ReadonlySet<number> | null): number | null {
    const eligible = this.#eligible(exclude);
    if (eligible.length === 0) return null;
    let best = eligible[0];
    if (mode === 'strictly') return best.id;
    if (mode === 'weighted') return weightedChoice(eligible, (id) => this.#byId.get(id)?.credit ?? 0);
    const counts = this.#rules.capacity.counts;
    const load = (id: number) => {
      if (mode !== 'least_loaded') return 0;
      const st = this.#byId.get(id);
      return countedLoad(st?.load, counts) + (st?.loadOffset ?? 0);
    };
    for (const m of eligible) {
      const dl = load(m.id) - load(best.id);
      if (dl < 0 || (dl === 0 && this.#last(m.id) < this.#last(best.id))) best = m;
    }
    return best.id;
  }

  pickAfter(holderId: number, exclude: ReadonlySet<number>): number | null {
    const n = this.#members.length;
    const p = this.#members.findIndex((m) => m.id === holderId);
    for (let k = 1; k <= n; k++) {
      const m = this.#members[(p + k) % n];
      if (m.id !== holderId && !exclude.has(m.id) && this.status(m.id) === null) return m.id;
    }
    return null;
  }

  skipped(): Skipped {
    const s: Skipped = { at_capacity: [], unavailable: [] };
    let listed = 0;
    let omitted = 0;
    for (const m of this.#members) {
      const why = this.status(m.id);
      if (why === null) continue;
      if (listed === SKIPPED_LIST_LIMIT) omitted++;
      else {
        listed++;
        if (why === 'at_capacity') s.at_capacity.push(m.id);
        else if (why === 'over_quota') s.over_quota = [...(s.over_quota ?? []), m.id];
        else s.unavailable.push({ id: m.id, why });
      }
    }
    if (omitted > 0) s.omitted = omitted;
    return s;
  }

  eligibleInQueueOrder(ids: ReadonlySet<number>): number[] {
    return this.#members.filter((m) => ids.has(m.id) && this.status(m.id) === null).map((m) => m.id);
  }

  stamp(now: number): number {
    let max = Number.NEGATIVE_INFINITY;
    for (const op of this.#byId.values())
      if (op.lastAssignedAt != null && op.lastAssignedAt > max) max = op.lastAssignedAt;
    return Math.max(now, max + 1);
  }

  credits(winner: number, exclude: ReadonlySet<number> | null): Record<number, number> {
    const eligible = this.#eligible(exclude);
    const total = eligible.reduce((sum, m) => sum + m.weight, 0);
    const out: Record<number, number> = {};
    // Members who sat this pick out restart from zero: no credit piles up while away.
    for (const m of this.#members) out[m.id] = 0;
    for (const m of eligible)
      out[m.id] = (this.#byId.get(m.id)?.credit ?? 0) + m.weight - (m.id === winner ? total : 0);
    return out;
  }
}

/**
 * Smooth weighted round robin's choice. Credits follow nginx (everyone taking part gains their
 * weight, the winner pays the total), so credit/total is how far behind its exact share an
 * operator is. Instead of nginx's "largest credit", the operator whose share would fall a whole
 * item behind soonest wins, among those owed anything: earliest deadline first, which keeps
 * every operator within one item of its share at every point (nginx drifts to ~1.2 items with
 * six or more operators). Equal deadlines go to the one owed more, then queue order. If nobody
 * is owed (credits were reset), the largest credit wins.
 */
export function weightedChoice(eligible: readonly QueueMember[], creditOf: (id: number) => number): number {
  const total = eligible.reduce((sum, m) => sum + m.weight, 0);
  let best: QueueMember | undefined;
  let bestOwed = 0;
  let fallback = eligible[0];
  let fallbackOwed = Number.NEGATIVE_INFINITY;
  for (const m of eligible) {
    const owed = creditOf(m.id) + m.weight;
    if (owed > fallbackOwed) {
      fallback = m;
      fallbackOwed = owed;
    }
    if (owed <= 0) continue;
    // Deadline (total − owed) / weight, compared without division; equal deadlines → owed more.
    const lhs = (total - owed) * (best?.weight ?? 1);
    const rhs = (total - bestOwed) * m.weight;
    if (!best || lhs < rhs || (lhs === rhs && owed > bestOwed)) {
      best = m;
      bestOwed = owed;
    }
  }
  return (best ?? fallback).id;
}

/** One decision for a new item, scanning the queue (fine for small queues and one-offs). */
export function decide(
  rules: QueueRules,
  operators: readonly OperatorState[],
  item: Item,
  now: number,
): Decision {
  return decideWith(new ReferenceView(rules, operators, now), rules, item, now);
}

/** Where an item goes when its holder did not answer within the line's timeout. */
export function passOn(
  rules: QueueRules,
  operators: readonly OperatorState[],
  req: PassOnRequest,
  now: number,
): Decision {
  return passOnWith(new ReferenceView(rules, operators, now), rules, req, now);
}
