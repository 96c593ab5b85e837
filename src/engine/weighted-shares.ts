import { SlotHeap } from './structures.ts';

interface WeightClass {
  weight: number;
  heap: SlotHeap;
}

/**
 * The weighted mode's credits (smooth weighted round-robin) for the Dispatcher's slots.
 *
 * A member's credit is base + weight·T, where T counts weighted picks, so "add every weight"
 * is T += 1; eligible members sit in one heap per weight (weights are integers 1–100) and a
 * pick compares the heads of the weight classes (O(distinct weights + log n)). A member who
 * stops being eligible keeps a frozen credit; back after missing at least one pick they start
 * from zero, so absence earns no catch-up.
 *
 * The Dispatcher decides who is eligible; this class only keeps the arithmetic. `pos` is the
 * Dispatcher's slot → queue position column, read for tie-breaks.
 */
export class WeightedShares {
  readonly #pos: readonly number[];
  readonly #base: number[] = [];
  readonly #frozen: number[] = [];
  readonly #leftAt: number[] = [];
  readonly #classes = new Map<number, WeightClass>();
  #classList: WeightClass[] = [];
  #picks = 0;
  #eligibleWeight = 0;
  /** Weight of members a pass-on query has temporarily taken out. */
  #sittingOutWeight = 0;

  constructor(pos: readonly number[]) {
    this.#pos = pos;
  }

  /** A new slot (slots are numbered densely from 0), with the credit it was given. */
  addSlot(credit: number): void {
    this.#base.push(0);
    this.#frozen.push(credit);
    this.#leftAt.push(this.#picks);
  }

  /** A known slot was given a credit afresh. */
  restart(slot: number, credit: number): void {
    this.#frozen[slot] = credit;
    this.#leftAt[slot] = this.#picks;
  }

  /** The slot became eligible. */
  enter(slot: number, weight: number): void {
    // Back after missing at least one pick: start from zero, so absence earns no catch-up.
    const credit = this.#picks > this.#leftAt[slot] ? 0 : this.#frozen[slot];
    this.#base[slot] = credit - weight * this.#picks;
    this.#eligibleWeight += weight;
    this.#classOf(weight).heap.push(slot);
  }

  /** The slot stopped being eligible. */
  leave(slot: number, weight: number): void {
    this.#frozen[slot] = this.#base[slot] + weight * this.#picks;
    this.#leftAt[slot] = this.#picks;
    this.#eligibleWeight -= weight;
    this.#classOf(weight).heap.remove(slot);
  }

  /** The credit of an eligible slot. */
  liveCredit(slot: number, weight: number): number {
    return this.#base[slot] + weight * this.#picks;
  }

  /** The credit of a slot that is not eligible (frozen, or zero once a pick went by). */
  restingCredit(slot: number): number {
    return this.#picks > this.#leftAt[slot] ? 0 : this.#frozen[slot];
  }

  /**
   * One smooth-weighted-round-robin step: everyone eligible gains their weight, the winner pays
   * the total. `sitOut` (eligible slots other than the winner) neither gain nor pay this time.
   */
  pick(winner: number, weightOf: (slot: number) => number, sitOut: readonly number[]): void {
    for (const s of sitOut) this.leave(s, weightOf(s));
    this.#picks++;
    this.#base[winner] -= this.#eligibleWeight;
    this.#classOf(weightOf(winner)).heap.update(winner);
    for (const s of sitOut) this.enter(s, weightOf(s));
  }

  /** Takes an eligible slot out of the choice for one query (see `sitIn`). */
  sitOut(slot: number, weight: number): void {
    this.#classOf(weight).heap.remove(slot);
    this.#sittingOutWeight += weight;
  }

  sitIn(slot: number, weight: number): void {
    this.#classOf(weight).heap.push(slot);
    this.#sittingOutWeight -= weight;
  }

  /** The slot the next weighted pick goes to, or -1 when nobody is eligible. */
  choose(): number {
    // Within a weight class the head owes the most, so only heads compete (see weightedChoice).
    const pos = this.#pos;
    const t = this.#picks + 1;
    const total = this.#eligibleWeight - this.#sittingOutWeight;
    let best = -1;
    let bestOwed = 0;
    let bestW = 1;
    let fallback = -1;
    let fallbackOwed = Number.NEGATIVE_INFINITY;
    for (const c of this.#classList) {
      const s = c.heap.peek();
      if (s < 0) continue;
      const owed = this.#base[s] + c.weight * t;
      if (owed > fallbackOwed || (owed === fallbackOwed && pos[s] < pos[fallback])) {
        fallback = s;
        fallbackOwed = owed;
      }
      if (owed <= 0) continue;
      const lhs = (total - owed) * bestW;
      const rhs = (total - bestOwed) * c.weight;
      const tie = lhs === rhs && (owed > bestOwed || (owed === bestOwed && pos[s] < pos[best]));
      if (best < 0 || lhs < rhs || tie) {
        best = s;
        bestOwed = owed;
        bestW = c.weight;
      }
    }
    return best >= 0 ? best : fallback;
  }

  #classOf(weight: number): WeightClass {
    let c = this.#classes.get(weight);
    if (!c) {
      const base = this.#base;
      const pos = this.#pos;
      c = {
        weight,
        heap: new SlotHeap((a, b) => base[a] > base[b] || (base[a] === base[b] && pos[a] < pos[b])),
      };
      this.#classes.set(weight, c);
      this.#classList = [...this.#classes.values()];
    }
    return c;
  }
}
