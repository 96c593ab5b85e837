import { availabilityWindow, countedLoad, eligibility } from './availability.ts';
import { decideWith, passOnWith, type QueueView, SKIPPED_LIST_LIMIT } from './flow.ts';
import type { Mode, QueueMember, QueueRules } from './schema.ts';
import { BitSet, SlotHeap, TimeHeap } from './structures.ts';
import type {
  Decision,
  IneligibleWhy,
  Item,
  OpenLoad,
  OperatorState,
  PassOnRequest,
  Skipped,
} from './types.ts';
import { compareWaiting } from './waiting-order.ts';

/**
 * The queue index: built once from rules and operator states, then kept current by small
 * updates, so a decision costs O(log n) instead of a scan.
 *
 * - Every operator given gets a slot; queue members also get a position (queue order).
 * - Members' eligibility is cached as a code and re-evaluated on updates and when the clock
 *   passes the moment it may change (absence end, pause end, shift edge: a time heap). Load
 *   changes (commit, setLoad) re-check only the limit against the cached availability.
 * - The reason's skipped list (the first SKIPPED_LIST_LIMIT ineligible members) is cached and
 *   rebuilt only when a change lands at or before its last entry; beyond it only the count moves.
 * - Eligible positions and ineligible positions live in two bit sets: strictly's "first
 *   eligible after p" and the reason's "skipped" list read them directly.
 * - evenly and least_loaded keep eligible members in one heap keyed by their rank.
 * - weighted keeps one heap per weight (weights are integers 1–100). A member's credit is
 *   base + weight·T, where T counts weighted picks, so "add every weight" is T += 1; the pick
 *   compares the heads of the weight classes (O(distinct weights + log n)).
 *
 * Time: `decide(item, now)` first brings the cache to `now`; going back in time re-evaluates
 * every member (O(n)), which previews and tests may do but the live path should not.
 */

const WHY: (IneligibleWhy | null)[] = [
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
];
const CODE = new Map(WHY.map((w, i) => [w, i]));
const ELIGIBLE = 0;
const PLACED_NOWHERE = -1;
const NEVER = Number.POSITIVE_INFINITY;

type SkippedLists = Pick<Skipped, 'at_capacity' | 'unavailable'>;

interface WeightClass {
  weight: number;
  heap: SlotHeap;
}

export class Dispatcher {
  #rules: QueueRules;
  #now: number;
  readonly #slotOf = new Map<number, number>();
  readonly #ids: number[] = [];
  readonly #state: (OperatorState | undefined)[] = [];
  readonly #member: (QueueMember | undefined)[] = [];
  readonly #pos: number[] = [];
  readonly #code: number[] = [];
  /** Availability alone (0 or a why code): load changes re-check only the limit against it. */
  readonly #avail: number[] = [];
  readonly #recheckAt: number[] = [];
  readonly #last: number[] = [];
  readonly #counted: number[] = [];
  readonly #base: number[] = [];
  readonly #frozen: number[] = [];
  readonly #leftAt: number[] = [];
  readonly #posSlot: number[] = [];
  readonly #eligibleBits = new BitSet();
  readonly #ineligibleBits = new BitSet();
  #memberCount = 0;
  #eligibleCount = 0;
  #rank: SlotHeap | null = null;
  readonly #classes = new Map<number, WeightClass>();
  #classList: WeightClass[] = [];
  #picks = 0;
  #eligibleWeight = 0;
  /** Weight of members a pass-on query has temporarily taken out. */
  #sittingOutWeight = 0;
  readonly #rechecks = new TimeHeap();
  #maxStamp = Number.NEGATIVE_INFINITY;
  /** The reason's skipped list, rebuilt only when a change falls within the listed prefix. */
  #skippedCache: SkippedLists | null = null;
  /** Queue position of the last listed entry when the list is full, else +∞. */
  #skippedHorizon = NEVER;
  readonly #limitCode = CODE.get('at_capacity')!;
  readonly #view: QueueView;

  constructor(rules: QueueRules, operators: readonly OperatorState[], now: number) {
    this.#rules = rules;
    this.#now = now;
    const mode = rules.mode;
    const last = this.#last;
    const pos = this.#pos;
    if (mode === 'evenly') {
      this.#rank = new SlotHeap((a, b) => last[a] < last[b] || (last[a] === last[b] && pos[a] < pos[b]));
    } else if (mode === 'least_loaded') {
      const c = this.#counted;
      this.#rank = new SlotHeap(
        (a, b) =>
          c[a] < c[b] || (c[a] === c[b] && (last[a] < last[b] || (last[a] === last[b] && pos[a] < pos[b]))),
      );
    }
    for (const op of operators) this.#putState(op);
    for (const m of rules.queue) if (!this.#isMemberId(m.id)) this.#placeMember(m);
    this.#view = this.#makeView();
  }

  /** The rules this index follows, with the queue as changed by addMember/removeMember. */
  get rules(): QueueRules {
    return this.#rules;
  }

  /** Eligible members right now (as of the last decision or update). */
  get eligibleCount(): number {
    return this.#eligibleCount;
  }

  /** The earliest time a member's availability may change by the clock alone; drain then. */
  nextChangeAt(): number {
    return this.#rechecks.minTime();
  }

  /** Decides for a new item without changing anything; `commit` records it once it is carried out. */
  decide(item: Item, now: number): Decision {
    this.#advance(now);
    return decideWith(this.#view, this.#rules, item, now);
  }

  /** Decides where an unanswered item passes on to, without changing anything. */
  passOn(req: PassOnRequest, now: number): Decision {
    this.#advance(now);
    return passOnWith(this.#view, this.#rules, req, now);
  }

  /** decide + commit. */
  assign(item: Item, now: number): Decision {
    const d = this.decide(item, now);
    this.commit(d);
    return d;
  }

  /**
   * Records a carried-out assignment: the operator's lastAssignedAt becomes the stamp, their
   * unanswered load grows by one, the weighted credits move; a pass-on also takes one unanswered
   * item off the previous holder. Other decisions change nothing.
   */
  commit(d: Decision): void {
    if (d.action !== 'assign') return;
    const slot = this.#slotOf.get(d.operatorId);
    if (slot === undefined || !this.#state[slot])
      throw new Error(`operator ${d.operatorId} is not in the index`);
    const r = d.reason;
    if (r.rule === 'weighted') this.#weightedPick(slot, []);
    else if (r.rule === 'pass_on' && r.passOn?.by === 'weighted') {
      const sitOut = (d.round ?? []).filter((id) => id !== d.operatorId);
      this.#weightedPick(slot, sitOut);
    }
    const st = this.#state[slot]!;
    st.lastAssignedAt = d.stamp;
    st.load = { ...st.load, notAnswered: (st.load?.notAnswered ?? 0) + 1 };
    if (d.stamp > this.#maxStamp) this.#maxStamp = d.stamp;
    this.#refreshLoad(slot);
    if (r.rule === 'pass_on' && r.passOn) {
      const h = this.#slotOf.get(r.passOn.fromId);
      const hs = h === undefined ? undefined : this.#state[h];
      if (h !== undefined && hs) {
        hs.load = { ...hs.load, notAnswered: Math.max(0, (hs.load?.notAnswered ?? 0) - 1) };
        this.#refreshLoad(h);
      }
    }
  }

  /**
   * Hands waiting items out, in priority then arrival order, for as long as someone can take
   * them; commits each assignment. Returns the assignments (or portal hand-overs) and the
   * items still waiting, in order.
   */
  drain(waiting: readonly Item[], now: number): { decisions: Decision[]; waiting: Item[] } {
    this.#advance(now);
    const decisions: Decision[] = [];
    const still: Item[] = [];
    const rules = this.#rules;
    for (const item of [...waiting].sort(compareWaiting)) {
      const mayGoElsewhere =
        (rules.responsible.enabled && (item.crm?.length ?? 0) > 0) ||
        (rules.sticky.enabled && item.previousOperatorId != null);
      if (this.#eligibleCount === 0 && rules.mode !== 'all' && !mayGoElsewhere) {
        still.push(item);
        continue;
      }
      const d = this.decide(item, now);
      if (d.action === 'wait') still.push(item);
      else {
        this.commit(d);
        decisions.push(d);
      }
    }
    return { decisions, waiting: still };
  }

  /** Adds or replaces an operator's state (availability, load, lastAssignedAt). Credits stay the index's own. */
  upsertOperator(op: OperatorState): void {
    const slot = this.#slotOf.get(op.id);
    if (slot === undefined || !this.#state[slot]) {
      this.#putState(op);
      const s = this.#slotOf.get(op.id)!;
      if (this.#member[s]) this.#refresh(s);
      return;
    }
    const before = this.#last[slot];
    this.#state[slot] = { ...op };
    this.#refresh(slot);
    if (this.#last[slot] > this.#maxStamp) this.#maxStamp = this.#last[slot];
    else if (before === this.#maxStamp && this.#last[slot] < before) this.#recomputeMaxStamp();
  }

  /** Replaces an operator's open-item counts. */
  setLoad(id: number, load: Partial<OpenLoad>): void {
    const slot = this.#slotOf.get(id);
    const st = slot === undefined ? undefined : this.#state[slot];
    if (slot === undefined || !st) return;
    st.load = { ...load };
    this.#refreshLoad(slot);
  }

  /** Appends an operator to the end of the queue (with their state, if not given before). */
  addMember(member: QueueMember, op?: OperatorState): void {
    if (this.#isMemberId(member.id)) return;
    if (op) this.upsertOperator(op);
    this.#rules = { ...this.#rules, queue: [...this.#rules.queue, member] };
    this.#placeMember(member);
  }

  /** Takes an operator out of the queue; their state stays known (e.g. as a CRM responsible). */
  removeMember(id: number): void {
    const slot = this.#slotOf.get(id);
    if (slot === undefined || !this.#member[slot]) return;
    this.#setCode(slot, PLACED_NOWHERE);
    const p = this.#pos[slot];
    this.#posSlot[p] = -1;
    this.#pos[slot] = -1;
    this.#member[slot] = undefined;
    this.#recheckAt[slot] = NEVER;
    this.#memberCount--;
    this.#rules = { ...this.#rules, queue: this.#rules.queue.filter((m) => m.id !== id) };
  }

  /** Forgets an operator entirely (queue membership and state). */
  removeOperator(id: number): void {
    this.removeMember(id);
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return;
    this.#state[slot] = undefined;
    this.#slotOf.delete(id);
    if (this.#last[slot] === this.#maxStamp) this.#recomputeMaxStamp();
  }

  /** The operator's state as the index holds it, with the current weighted credit. */
  stateOf(id: number): OperatorState | undefined {
    const slot = this.#slotOf.get(id);
    const st = slot === undefined ? undefined : this.#state[slot];
    if (slot === undefined || !st) return undefined;
    return { ...st, load: { ...st.load }, credit: this.#creditOf(slot) };
  }

  /** Every member's weighted credit, to persist between runs. */
  credits(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const slot of this.#posSlot) if (slot >= 0) out[this.#ids[slot]] = this.#creditOf(slot);
    return out;
  }

  // ---- internals -------------------------------------------------------------------------

  #isMemberId(id: number): boolean {
    const slot = this.#slotOf.get(id);
    return slot !== undefined && this.#member[slot] !== undefined;
  }

  #putState(op: OperatorState): number {
    let slot = this.#slotOf.get(op.id);
    if (slot === undefined) {
      slot = this.#ids.length;
      this.#ids.push(op.id);
      this.#slotOf.set(op.id, slot);
      this.#member.push(undefined);
      this.#pos.push(-1);
      this.#code.push(PLACED_NOWHERE);
      this.#avail.push(ELIGIBLE);
      this.#recheckAt.push(NEVER);
      this.#last.push(Number.NEGATIVE_INFINITY);
      this.#counted.push(0);
      this.#base.push(0);
      this.#frozen.push(op.credit ?? 0);
      this.#leftAt.push(this.#picks);
      this.#state.push(undefined);
    } else {
      this.#frozen[slot] = op.credit ?? 0;
      this.#leftAt[slot] = this.#picks;
    }
    this.#state[slot] = { ...op };
    this.#keys(slot);
    if (this.#last[slot] > this.#maxStamp) this.#maxStamp = this.#last[slot];
    return slot;
  }

  #placeMember(m: QueueMember): void {
    let slot = this.#slotOf.get(m.id);
    if (slot === undefined) {
      // A member the caller gave no state for: known by id, never eligible ('unknown').
      slot = this.#putState({ id: m.id, active: false, online: false });
      this.#state[slot] = undefined;
    }
    this.#member[slot] = m;
    const p = this.#posSlot.length;
    this.#posSlot.push(slot);
    this.#pos[slot] = p;
    this.#memberCount++;
    this.#evaluate(slot);
  }

  #keys(slot: number): void {
    const st = this.#state[slot];
    this.#last[slot] = st?.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
    this.#counted[slot] = countedLoad(st?.load, this.#rules.capacity.counts);
  }

  /** Re-reads the slot's keys and eligibility after its state changed. */
  #refresh(slot: number): void {
    this.#keys(slot);
    if (!this.#member[slot]) return;
    if (this.#code[slot] === ELIGIBLE) this.#rank?.update(slot);
    this.#evaluate(slot);
  }

  /** After a load-only change: the availability part still holds, only the limit is re-checked. */
  #refreshLoad(slot: number): void {
    this.#keys(slot);
    if (!this.#member[slot]) return;
    if (this.#code[slot] === ELIGIBLE) this.#rank?.update(slot);
    this.#setCode(slot, this.#withLimit(slot));
  }

  #withLimit(slot: number): number {
    const avail = this.#avail[slot];
    if (avail !== ELIGIBLE) return avail;
    const limit = this.#member[slot]!.limit ?? this.#rules.capacity.limit;
    return limit !== null && this.#counted[slot] >= limit ? this.#limitCode : ELIGIBLE;
  }

  #evaluate(slot: number): void {
    const st = this.#state[slot];
    let recheckAt = NEVER;
    if (!st) this.#avail[slot] = CODE.get('unknown')!;
    else {
      const w = availabilityWindow(st, this.#rules, this.#member[slot], this.#now);
      recheckAt = w.recheckAt;
      this.#avail[slot] = w.why ? CODE.get(w.why)! : ELIGIBLE;
    }
    if (recheckAt !== this.#recheckAt[slot]) {
      this.#recheckAt[slot] = recheckAt;
      if (recheckAt !== NEVER) this.#rechecks.push(recheckAt, slot);
    }
    this.#setCode(slot, this.#withLimit(slot));
  }

  #setCode(slot: number, code: number): void {
    const old = this.#code[slot];
    if (old === code) return;
    this.#code[slot] = code;
    const p = this.#pos[slot];
    if (p <= this.#skippedHorizon) this.#skippedCache = null;
    if (old === ELIGIBLE && code !== ELIGIBLE) {
      this.#eligibleBits.delete(p);
      this.#eligibleCount--;
      this.#rank?.remove(slot);
      if (this.#rules.mode === 'weighted') this.#leaveWeighted(slot);
    } else if (old !== ELIGIBLE && code === ELIGIBLE) {
      this.#ineligibleBits.delete(p);
      this.#eligibleBits.add(p);
      this.#eligibleCount++;
      this.#rank?.push(slot);
      if (this.#rules.mode === 'weighted') this.#enterWeighted(slot);
      return;
    }
    if (code === PLACED_NOWHERE) this.#ineligibleBits.delete(p);
    else if (code !== ELIGIBLE) this.#ineligibleBits.add(p);
  }

  #weightOf(slot: number): number {
    return this.#member[slot]!.weight;
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

  #enterWeighted(slot: number): void {
    const w = this.#weightOf(slot);
    // Back after missing at least one pick: start from zero, so absence earns no catch-up.
    const credit = this.#picks > this.#leftAt[slot] ? 0 : this.#frozen[slot];
    this.#base[slot] = credit - w * this.#picks;
    this.#eligibleWeight += w;
    this.#classOf(w).heap.push(slot);
  }

  #leaveWeighted(slot: number): void {
    const w = this.#weightOf(slot);
    this.#frozen[slot] = this.#base[slot] + w * this.#picks;
    this.#leftAt[slot] = this.#picks;
    this.#eligibleWeight -= w;
    this.#classOf(w).heap.remove(slot);
  }

  #creditOf(slot: number): number {
    if (!this.#member[slot]) return 0;
    if (this.#code[slot] === ELIGIBLE && this.#rules.mode === 'weighted') {
      return this.#base[slot] + this.#weightOf(slot) * this.#picks;
    }
    return this.#picks > this.#leftAt[slot] ? 0 : this.#frozen[slot];
  }

  /** One smooth-weighted-round-robin step: everyone eligible gains their weight, the winner pays the total. */
  #weightedPick(winner: number, sitOutIds: readonly number[]): void {
    if (this.#code[winner] !== ELIGIBLE || !this.#member[winner]) return;
    const sitOut: number[] = [];
    for (const id of sitOutIds) {
      const s = this.#slotOf.get(id);
      if (s !== undefined && s !== winner && this.#member[s] && this.#code[s] === ELIGIBLE) {
        this.#leaveWeighted(s);
        sitOut.push(s);
      }
    }
    this.#picks++;
    this.#base[winner] -= this.#eligibleWeight;
    this.#classOf(this.#weightOf(winner)).heap.update(winner);
    for (const s of sitOut) this.#enterWeighted(s);
  }

  #advance(now: number): void {
    if (now < this.#now) {
      // Cached answers were computed for a later time; rebuild them for this one.
      this.#now = now;
      this.#rechecks.clear();
      for (const slot of this.#posSlot) {
        if (slot < 0) continue;
        this.#recheckAt[slot] = NEVER;
        this.#evaluate(slot);
      }
      return;
    }
    this.#now = now;
    while (this.#rechecks.minTime() <= now) {
      const t = this.#rechecks.minTime();
      const slot = this.#rechecks.pop();
      if (this.#recheckAt[slot] !== t || !this.#member[slot]) continue;
      this.#recheckAt[slot] = NEVER;
      this.#evaluate(slot);
    }
  }

  #recomputeMaxStamp(): void {
    let max = Number.NEGATIVE_INFINITY;
    for (let s = 0; s < this.#state.length; s++)
      if (this.#state[s] && this.#last[s] > max) max = this.#last[s];
    this.#maxStamp = max;
  }

  #buildSkipped(): SkippedLists {
    const c: SkippedLists = { at_capacity: [], unavailable: [] };
    let listed = 0;
    let p = this.#ineligibleBits.next(0);
    let last = -1;
    for (; p >= 0 && listed < SKIPPED_LIST_LIMIT; p = this.#ineligibleBits.next(p + 1)) {
      const slot = this.#posSlot[p];
      const why = WHY[this.#code[slot]]!;
      if (why === 'at_capacity') c.at_capacity.push(this.#ids[slot]);
      else c.unavailable.push(Object.freeze({ id: this.#ids[slot], why }));
      listed++;
      last = p;
    }
    // A full list only changes when something at or before its last entry changes.
    this.#skippedHorizon = listed === SKIPPED_LIST_LIMIT ? last : NEVER;
    this.#skippedCache = c;
    return c;
  }

  #statusOf(id: number): IneligibleWhy | null {
    const slot = this.#slotOf.get(id);
    if (slot === undefined) return 'unknown';
    if (this.#member[slot]) return WHY[this.#code[slot]];
    return eligibility(this.#state[slot], this.#rules, undefined, this.#now);
  }

  /** Runs `query` with the excluded eligible members taken out of the rank structures. */
  #without<T>(exclude: ReadonlySet<number>, query: () => T): T {
    const out: number[] = [];
    for (const id of exclude) {
      const s = this.#slotOf.get(id);
      if (s !== undefined && this.#member[s] && this.#code[s] === ELIGIBLE) {
        out.push(s);
        if (this.#rank) this.#rank.remove(s);
        else {
          this.#classOf(this.#weightOf(s)).heap.remove(s);
          this.#sittingOutWeight += this.#weightOf(s);
        }
      }
    }
    try {
      return query();
    } finally {
      for (const s of out) {
        if (this.#rank) this.#rank.push(s);
        else {
          this.#classOf(this.#weightOf(s)).heap.push(s);
          this.#sittingOutWeight -= this.#weightOf(s);
        }
      }
    }
  }

  #pick(mode: Exclude<Mode, 'all'>): number | null {
    if (mode === 'strictly') {
      const p = this.#eligibleBits.next(0);
      return p < 0 ? null : this.#ids[this.#posSlot[p]];
    }
    if (mode === 'weighted') {
      // Within a weight class the head owes the most, so only heads compete (see weightedChoice).
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
        if (owed > fallbackOwed || (owed === fallbackOwed && this.#pos[s] < this.#pos[fallback])) {
          fallback = s;
          fallbackOwed = owed;
        }
        if (owed <= 0) continue;
        const lhs = (total - owed) * bestW;
        const rhs = (total - bestOwed) * c.weight;
        const tie = lhs === rhs && (owed > bestOwed || (owed === bestOwed && this.#pos[s] < this.#pos[best]));
        if (best < 0 || lhs < rhs || tie) {
          best = s;
          bestOwed = owed;
          bestW = c.weight;
        }
      }
      const winner = best >= 0 ? best : fallback;
      return winner < 0 ? null : this.#ids[winner];
    }
    const s = this.#rank!.peek();
    return s < 0 ? null : this.#ids[s];
  }

  #makeView(): QueueView {
    return {
      status: (id) => this.#statusOf(id),
      strictAvailability: (id) => {
        const slot = this.#slotOf.get(id);
        const st = slot === undefined ? undefined : this.#state[slot];
        if (slot === undefined || !st) return 'unknown';
        return availabilityWindow(st, this.#rules, this.#member[slot], this.#now, true).why;
      },
      isMember: (id) => this.#isMemberId(id),
      memberCount: () => this.#memberCount,
      pick: (mode, exclude) =>
        exclude && exclude.size > 0 ? this.#without(exclude, () => this.#pick(mode)) : this.#pick(mode),
      pickAfter: (holderId, exclude) => {
        const h = this.#slotOf.get(holderId);
        const from = h === undefined || !this.#member[h] ? -1 : this.#pos[h];
        const ok = (p: number) => {
          const id = this.#ids[this.#posSlot[p]];
          return id !== holderId && !exclude.has(id);
        };
        for (let p = this.#eligibleBits.next(from + 1); p >= 0; p = this.#eligibleBits.next(p + 1)) {
          if (ok(p)) return this.#ids[this.#posSlot[p]];
        }
        for (let p = this.#eligibleBits.next(0); p >= 0 && p < from; p = this.#eligibleBits.next(p + 1)) {
          if (ok(p)) return this.#ids[this.#posSlot[p]];
        }
        return null;
      },
      skipped: () => {
        const c = this.#skippedCache ?? this.#buildSkipped();
        const s: Skipped = { at_capacity: c.at_capacity.slice(), unavailable: c.unavailable.slice() };
        const omitted = this.#memberCount - this.#eligibleCount - c.at_capacity.length - c.unavailable.length;
        if (omitted > 0) s.omitted = omitted;
        return s;
      },
      eligibleInQueueOrder: (ids) => {
        const slots: number[] = [];
        for (const id of ids) {
          const s = this.#slotOf.get(id);
          if (s !== undefined && this.#member[s] && this.#code[s] === ELIGIBLE) slots.push(s);
        }
        return slots.sort((a, b) => this.#pos[a] - this.#pos[b]).map((s) => this.#ids[s]);
      },
      stamp: (now) => Math.max(now, this.#maxStamp + 1),
    };
  }
}
