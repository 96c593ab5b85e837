import { availabilityWindow, countedLoad } from './availability.ts';
import {
  AT_CAPACITY,
  codeOf,
  ELIGIBLE,
  NEVER,
  OVER_QUOTA,
  PLACED_NOWHERE,
  UNKNOWN,
} from './eligibility-codes.ts';
import { decideWith, passOnWith, type QueueView } from './flow.ts';
import { QueueSlots, rankHeapFor } from './queue-slots.ts';
import { queueViewOf } from './queue-view.ts';
import { overflowDecision } from './quotas.ts';
import type { QueueMember, QueueRules } from './schema.ts';
import { type SlotHeap, TimeHeap } from './structures.ts';
import type { Decision, Item, OpenLoad, OperatorState, PassOnRequest } from './types.ts';
import { compareWaiting } from './waiting-order.ts';
import { WeightedShares } from './weighted-shares.ts';

/**
 * The queue index: built once from rules and operator states, then kept current by small
 * updates, so a decision costs O(log n) instead of a scan.
 *
 * - Every operator given gets a slot; queue members also get a position (queue order). The
 *   slot table, the bit sets of eligible/ineligible positions and the reason's cached skipped
 *   list live in QueueSlots (queue-slots.ts).
 * - Members' eligibility is cached as a code (eligibility-codes.ts) and re-evaluated on updates
 *   and when the clock passes the moment it may change (absence end, pause end, shift edge: a
 *   time heap). Load changes (commit, setLoad) re-check only the limit against the cached
 *   availability.
 * - evenly and least_loaded keep eligible members in one heap keyed by their rank.
 * - weighted keeps its credits and one heap per weight in WeightedShares (weighted-shares.ts).
 *
 * Time: `decide(item, now)` first brings the cache to `now`; going back in time re-evaluates
 * every member (O(n)), which previews and tests may do but the live path should not.
 */
export class Dispatcher {
  #rules: QueueRules;
  #now: number;
  readonly #s = new QueueSlots();
  readonly #rank: SlotHeap | null;
  readonly #weighted = new WeightedShares(this.#s.pos);
  readonly #rechecks = new TimeHeap();
  readonly #view: QueueView;
  readonly #weightOf = (slot: number): number => this.#s.member[slot]!.weight;
  #overflowId: number | null = null;

  constructor(rules: QueueRules, operators: readonly OperatorState[], now: number) {
    this.#rules = rules;
    this.#now = now;
    this.#rank = rankHeapFor(rules.mode, this.#s);
    for (const op of operators) this.#putState(op);
    for (const m of rules.queue) if (!this.#s.isMember(m.id)) this.#placeMember(m);
    this.#view = queueViewOf({
      slots: this.#s,
      weighted: this.#weighted,
      rank: this.#rank,
      weightOf: this.#weightOf,
      rules: () => this.#rules,
      now: () => this.#now,
    });
  }

  /** The rules this index follows, with the queue as changed by addMember/removeMember. */
  get rules(): QueueRules {
    return this.#rules;
  }

  /** Eligible members right now (as of the last decision or update). */
  get eligibleCount(): number {
    return this.#s.eligibleCount;
  }

  /** The earliest time a member's availability may change by the clock alone; drain then. */
  nextChangeAt(): number {
    return this.#rechecks.minTime();
  }

  /** Decides for a new item without changing anything; `commit` records it once it is carried out. */
  decide(item: Item, now: number): Decision {
    this.#advance(now);
    const d = decideWith(this.#view, this.#rules, item, now);
    if (d.action !== 'wait') return d;
    const overflow = this.#overflowId === null ? undefined : this.stateOf(this.#overflowId);
    return overflowDecision(d, overflow, this.#view.stamp(now));
  }

  /**
   * The quota's overflow person (quotas.ts overflowDecision), or null: past everyone's quota a
   * new item goes to them while they have room. Their state must be given like anyone's.
   */
  setOverflow(id: number | null): void {
    this.#overflowId = id;
  }

  get overflowId(): number | null {
    return this.#overflowId;
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
    const s = this.#s;
    const slot = s.slotOf.get(d.operatorId);
    if (slot === undefined || !s.state[slot]) throw new Error(`operator ${d.operatorId} is not in the index`);
    const r = d.reason;
    if (r.rule === 'weighted') this.#weightedPick(slot, []);
    else if (r.rule === 'pass_on' && r.passOn?.by === 'weighted') {
      const sitOut = (d.round ?? []).filter((id) => id !== d.operatorId);
      this.#weightedPick(slot, sitOut);
    }
    const st = s.state[slot]!;
    st.lastAssignedAt = d.stamp;
    st.load = { ...st.load, notAnswered: (st.load?.notAnswered ?? 0) + 1 };
    if (st.quotaLeft != null) st.quotaLeft = Math.max(0, st.quotaLeft - 1);
    if (d.stamp > s.maxStamp) s.maxStamp = d.stamp;
    this.#refreshLoad(slot);
    if (r.rule === 'pass_on' && r.passOn) {
      const h = s.slotOf.get(r.passOn.fromId);
      const hs = h === undefined ? undefined : s.state[h];
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
      if (
        this.#s.eligibleCount === 0 &&
        rules.mode !== 'all' &&
        !mayGoElsewhere &&
        this.#overflowId === null
      ) {
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
    const s = this.#s;
    const slot = s.slotOf.get(op.id);
    if (slot === undefined || !s.state[slot]) {
      this.#putState(op);
      const fresh = s.slotOf.get(op.id)!;
      if (s.member[fresh]) this.#refresh(fresh);
      return;
    }
    const before = s.last[slot];
    s.state[slot] = { ...op };
    this.#refresh(slot);
    if (s.last[slot] > s.maxStamp) s.maxStamp = s.last[slot];
    else if (before === s.maxStamp && s.last[slot] < before) s.recomputeMaxStamp();
  }

  /** Replaces an operator's open-item counts. */
  setLoad(id: number, load: Partial<OpenLoad>): void {
    const slot = this.#s.slotOf.get(id);
    const st = slot === undefined ? undefined : this.#s.state[slot];
    if (slot === undefined || !st) return;
    st.load = { ...load };
    this.#refreshLoad(slot);
  }

  /** Appends an operator to the end of the queue (with their state, if not given before). */
  addMember(member: QueueMember, op?: OperatorState): void {
    if (this.#s.isMember(member.id)) return;
    if (op) this.upsertOperator(op);
    this.#rules = { ...this.#rules, queue: [...this.#rules.queue, member] };
    this.#placeMember(member);
  }

  /** Takes an operator out of the queue; their state stays known (e.g. as a CRM responsible). */
  removeMember(id: number): void {
    const slot = this.#s.slotOf.get(id);
    if (slot === undefined || !this.#s.member[slot]) return;
    this.#setCode(slot, PLACED_NOWHERE);
    this.#s.unplace(slot);
    this.#rules = { ...this.#rules, queue: this.#rules.queue.filter((m) => m.id !== id) };
  }

  /** Forgets an operator entirely (queue membership and state). */
  removeOperator(id: number): void {
    this.removeMember(id);
    const s = this.#s;
    const slot = s.slotOf.get(id);
    if (slot === undefined) return;
    s.state[slot] = undefined;
    s.slotOf.delete(id);
    if (s.last[slot] === s.maxStamp) s.recomputeMaxStamp();
  }

  /** The operator's state as the index holds it, with the current weighted credit. */
  stateOf(id: number): OperatorState | undefined {
    const slot = this.#s.slotOf.get(id);
    const st = slot === undefined ? undefined : this.#s.state[slot];
    if (slot === undefined || !st) return undefined;
    return { ...st, load: { ...st.load }, credit: this.#creditOf(slot) };
  }

  /** Every operator the index holds a state for (members and others), as stateOf gives them. */
  states(): OperatorState[] {
    const out: OperatorState[] = [];
    for (const id of this.#s.slotOf.keys()) {
      const st = this.stateOf(id);
      if (st) out.push(st);
    }
    return out;
  }

  /** Every member's weighted credit, to persist between runs. */
  credits(): Record<number, number> {
    const out: Record<number, number> = {};
    for (const slot of this.#s.posSlot) if (slot >= 0) out[this.#s.ids[slot]] = this.#creditOf(slot);
    return out;
  }

  // ---- internals -------------------------------------------------------------------------

  #putState(op: OperatorState): number {
    const s = this.#s;
    let slot = s.slotOf.get(op.id);
    if (slot === undefined) {
      slot = s.allocate(op.id);
      this.#weighted.addSlot(op.credit ?? 0);
    } else this.#weighted.restart(slot, op.credit ?? 0);
    s.state[slot] = { ...op };
    this.#keys(slot);
    s.noteStamp(slot);
    return slot;
  }

  #placeMember(m: QueueMember): void {
    let slot = this.#s.slotOf.get(m.id);
    if (slot === undefined) {
      // A member the caller gave no state for: known by id, never eligible ('unknown').
      slot = this.#putState({ id: m.id, active: false, online: false });
      this.#s.state[slot] = undefined;
    }
    this.#s.place(slot, m);
    this.#evaluate(slot);
  }

  #keys(slot: number): void {
    const st = this.#s.state[slot];
    this.#s.last[slot] = st?.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
    this.#s.counted[slot] = countedLoad(st?.load, this.#rules.capacity.counts);
    this.#s.ranked[slot] = this.#s.counted[slot] + (st?.loadOffset ?? 0);
  }

  /** Re-reads the slot's keys and eligibility after its state changed. */
  #refresh(slot: number): void {
    this.#keys(slot);
    if (!this.#s.member[slot]) return;
    if (this.#s.code[slot] === ELIGIBLE) this.#rank?.update(slot);
    this.#evaluate(slot);
  }

  /** After a load-only change: the availability part still holds, only the limit is re-checked. */
  #refreshLoad(slot: number): void {
    this.#keys(slot);
    if (!this.#s.member[slot]) return;
    if (this.#s.code[slot] === ELIGIBLE) this.#rank?.update(slot);
    this.#setCode(slot, this.#withLimit(slot));
  }

  #withLimit(slot: number): number {
    const avail = this.#s.avail[slot];
    if (avail !== ELIGIBLE) return avail;
    const limit = this.#s.member[slot]!.limit ?? this.#rules.capacity.limit;
    if (limit !== null && this.#s.counted[slot] >= limit) return AT_CAPACITY;
    const left = this.#s.state[slot]?.quotaLeft;
    return left != null && left <= 0 ? OVER_QUOTA : ELIGIBLE;
  }

  #evaluate(slot: number): void {
    const s = this.#s;
    const st = s.state[slot];
    let recheckAt = NEVER;
    if (!st) s.avail[slot] = UNKNOWN;
    else {
      const w = availabilityWindow(st, this.#rules, s.member[slot], this.#now);
      recheckAt = w.recheckAt;
      s.avail[slot] = w.why ? codeOf(w.why) : ELIGIBLE;
    }
    if (recheckAt !== s.recheckAt[slot]) {
      s.recheckAt[slot] = recheckAt;
      if (recheckAt !== NEVER) this.#rechecks.push(recheckAt, slot);
    }
    this.#setCode(slot, this.#withLimit(slot));
  }

  #setCode(slot: number, code: number): void {
    const change = this.#s.setCode(slot, code);
    if (change < 0) {
      this.#rank?.remove(slot);
      if (this.#rules.mode === 'weighted') this.#weighted.leave(slot, this.#weightOf(slot));
    } else if (change > 0) {
      this.#rank?.push(slot);
      if (this.#rules.mode === 'weighted') this.#weighted.enter(slot, this.#weightOf(slot));
    }
  }

  #creditOf(slot: number): number {
    if (!this.#s.member[slot]) return 0;
    if (this.#s.code[slot] === ELIGIBLE && this.#rules.mode === 'weighted') {
      return this.#weighted.liveCredit(slot, this.#weightOf(slot));
    }
    return this.#weighted.restingCredit(slot);
  }

  #weightedPick(winner: number, sitOutIds: readonly number[]): void {
    const s = this.#s;
    if (s.code[winner] !== ELIGIBLE || !s.member[winner]) return;
    const sitOut: number[] = [];
    for (const id of sitOutIds) {
      const o = s.slotOf.get(id);
      if (o !== undefined && o !== winner && s.member[o] && s.code[o] === ELIGIBLE) sitOut.push(o);
    }
    this.#weighted.pick(winner, this.#weightOf, sitOut);
  }

  #advance(now: number): void {
    const s = this.#s;
    if (now < this.#now) {
      // Cached answers were computed for a later time; rebuild them for this one.
      this.#now = now;
      this.#rechecks.clear();
      for (const slot of s.posSlot) {
        if (slot < 0) continue;
        s.recheckAt[slot] = NEVER;
        this.#evaluate(slot);
      }
      return;
    }
    this.#now = now;
    while (this.#rechecks.minTime() <= now) {
      const t = this.#rechecks.minTime();
      const slot = this.#rechecks.pop();
      if (s.recheckAt[slot] !== t || !s.member[slot]) continue;
      s.recheckAt[slot] = NEVER;
      this.#evaluate(slot);
    }
  }
}
