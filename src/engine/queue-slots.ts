import { ELIGIBLE, NEVER, PLACED_NOWHERE, WHY } from './eligibility-codes.ts';
import { SKIPPED_LIST_LIMIT } from './flow.ts';
import type { Mode, QueueMember } from './schema.ts';
import { BitSet, SlotHeap } from './structures.ts';
import type { OperatorState, Skipped } from './types.ts';

type SkippedLists = Pick<Skipped, 'at_capacity' | 'unavailable' | 'over_quota'>;

/**
 * The Dispatcher's table: one slot per operator it was given, columns indexed by slot, and the
 * queue order (positions) of those who are members. Eligible and ineligible positions live in
 * two bit sets, so strictly's "first eligible after p" and the reason's "skipped" list read
 * them directly. The skipped list (the first SKIPPED_LIST_LIMIT ineligible members) is cached
 * and rebuilt only when a change lands at or before its last entry; beyond it only the count
 * moves.
 *
 * The columns are public to the engine: the Dispatcher keeps them current (eligibility, keys,
 * rank structures); this class keeps the slot and position bookkeeping and the reads that only
 * need the table.
 */
export class QueueSlots {
  readonly slotOf = new Map<number, number>();
  readonly ids: number[] = [];
  readonly state: (OperatorState | undefined)[] = [];
  readonly member: (QueueMember | undefined)[] = [];
  /** slot → queue position, or -1 for a non-member. */
  readonly pos: number[] = [];
  /** queue position → slot, or -1 where a member was removed. */
  readonly posSlot: number[] = [];
  /** Eligibility code (see eligibility-codes.ts). */
  readonly code: number[] = [];
  /** Availability alone (0 or a why code): load changes re-check only the limit against it. */
  readonly avail: number[] = [];
  readonly recheckAt: number[] = [];
  /** lastAssignedAt, or -∞. */
  readonly last: number[] = [];
  /** The load the capacity limit counts. */
  readonly counted: number[] = [];
  /** Least-loaded's rank: the counted load plus the operator's offset (OperatorState.loadOffset). */
  readonly ranked: number[] = [];
  readonly eligibleBits = new BitSet();
  readonly ineligibleBits = new BitSet();
  memberCount = 0;
  eligibleCount = 0;
  /** The latest lastAssignedAt of any known operator: new stamps go after it. */
  maxStamp = Number.NEGATIVE_INFINITY;
  #skippedCache: SkippedLists | null = null;
  /** Queue position of the last listed entry when the list is full, else +∞. */
  #skippedHorizon = NEVER;

  /** A new slot for an id seen for the first time: no state, not a member. */
  allocate(id: number): number {
    const slot = this.ids.length;
    this.ids.push(id);
    this.slotOf.set(id, slot);
    this.member.push(undefined);
    this.pos.push(-1);
    this.code.push(PLACED_NOWHERE);
    this.avail.push(ELIGIBLE);
    this.recheckAt.push(NEVER);
    this.last.push(Number.NEGATIVE_INFINITY);
    this.counted.push(0);
    this.ranked.push(0);
    this.state.push(undefined);
    return slot;
  }

  isMember(id: number): boolean {
    const slot = this.slotOf.get(id);
    return slot !== undefined && this.member[slot] !== undefined;
  }

  /** Gives the slot the next queue position. */
  place(slot: number, m: QueueMember): void {
    this.member[slot] = m;
    const p = this.posSlot.length;
    this.posSlot.push(slot);
    this.pos[slot] = p;
    this.memberCount++;
  }

  /** Takes the slot out of the queue order; its code must already be PLACED_NOWHERE. */
  unplace(slot: number): void {
    const p = this.pos[slot];
    this.posSlot[p] = -1;
    this.pos[slot] = -1;
    this.member[slot] = undefined;
    this.recheckAt[slot] = NEVER;
    this.memberCount--;
  }

  noteStamp(slot: number): void {
    if (this.last[slot] > this.maxStamp) this.maxStamp = this.last[slot];
  }

  recomputeMaxStamp(): void {
    let max = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < this.state.length; s++) if (this.state[s] && this.last[s] > max) max = this.last[s];
    this.maxStamp = max;
  }

  /**
   * Stores a member's new code and moves its position between the bit sets. Returns +1 when the
   * slot became eligible, -1 when it stopped being eligible, 0 otherwise, so the caller can move
   * it in its rank structures.
   */
  setCode(slot: number, code: number): number {
    const old = this.code[slot];
    if (old === code) return 0;
    this.code[slot] = code;
    const p = this.pos[slot];
    if (p <= this.#skippedHorizon) this.#skippedCache = null;
    if (old !== ELIGIBLE && code === ELIGIBLE) {
      this.ineligibleBits.delete(p);
      this.eligibleBits.add(p);
      this.eligibleCount++;
      return 1;
    }
    let change = 0;
    if (old === ELIGIBLE) {
      this.eligibleBits.delete(p);
      this.eligibleCount--;
      change = -1;
    }
    if (code === PLACED_NOWHERE) this.ineligibleBits.delete(p);
    else if (code !== ELIGIBLE) this.ineligibleBits.add(p);
    return change;
  }

  /** strictly's pick: the first eligible member in queue order. */
  firstEligible(): number | null {
    const p = this.eligibleBits.next(0);
    return p < 0 ? null : this.ids[this.posSlot[p]];
  }

  /** The next eligible member after the holder in queue order, wrapping round. */
  eligibleAfter(holderId: number, exclude: ReadonlySet<number>): number | null {
    const h = this.slotOf.get(holderId);
    const from = h === undefined || !this.member[h] ? -1 : this.pos[h];
    const ok = (p: number) => {
      const id = this.ids[this.posSlot[p]];
      return id !== holderId && !exclude.has(id);
    };
    for (let p = this.eligibleBits.next(from + 1); p >= 0; p = this.eligibleBits.next(p + 1)) {
      if (ok(p)) return this.ids[this.posSlot[p]];
    }
    for (let p = this.eligibleBits.next(0); p >= 0 && p < from; p = this.eligibleBits.next(p + 1)) {
      if (ok(p)) return this.ids[this.posSlot[p]];
    }
    return null;
  }

  eligibleInQueueOrder(ids: Iterable<number>): number[] {
    const slots: number[] = [];
    for (const id of ids) {
      const s = this.slotOf.get(id);
      if (s !== undefined && this.member[s] && this.code[s] === ELIGIBLE) slots.push(s);
    }
    return slots.sort((a, b) => this.pos[a] - this.pos[b]).map((s) => this.ids[s]);
  }

  /** The reason's skipped lists, with the count of ineligible members left off. */
  skipped(): Skipped {
    const c = this.#skippedCache ?? this.#buildSkipped();
    const s: Skipped = { at_capacity: c.at_capacity.slice(), unavailable: c.unavailable.slice() };
    if (c.over_quota) s.over_quota = c.over_quota.slice();
    const omitted =
      this.memberCount -
      this.eligibleCount -
      c.at_capacity.length -
      c.unavailable.length -
      (c.over_quota?.length ?? 0);
    if (omitted > 0) s.omitted = omitted;
    return s;
  }

  #buildSkipped(): SkippedLists {
    const c: SkippedLists = { at_capacity: [], unavailable: [] };
    let listed = 0;
    let p = this.ineligibleBits.next(0);
    let last = -1;
    for (; p >= 0 && listed < SKIPPED_LIST_LIMIT; p = this.ineligibleBits.next(p + 1)) {
      const slot = this.posSlot[p];
      const why = WHY[this.code[slot]]!;
      if (why === 'at_capacity') c.at_capacity.push(this.ids[slot]);
      else if (why === 'over_quota') c.over_quota = [...(c.over_quota ?? []), this.ids[slot]];
      else c.unavailable.push(Object.freeze({ id: this.ids[slot], why }));
      listed++;
      last = p;
    }
    // A full list only changes when something at or before its last entry changes.
    this.#skippedHorizon = listed === SKIPPED_LIST_LIMIT ? last : NEVER;
    this.#skippedCache = c;
    return c;
  }
}

/**
 * evenly and least_loaded keep eligible members in one heap keyed by their rank (least
 * recently assigned; least counted load, then least recently assigned; queue order breaks
 * ties); the other modes need none.
 */
export function rankHeapFor(mode: Mode, s: QueueSlots): SlotHeap | null {
  const last = s.last;
  const pos = s.pos;
  if (mode === 'evenly') {
    return new SlotHeap((a, b) => last[a] < last[b] || (last[a] === last[b] && pos[a] < pos[b]));
  }
  if (mode === 'least_loaded') {
    const c = s.ranked;
    return new SlotHeap(
      (a, b) =>
        c[a] < c[b] || (c[a] === c[b] && (last[a] < last[b] || (last[a] === last[b] && pos[a] < pos[b]))),
    );
  }
  return null;
}
