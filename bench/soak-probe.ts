import type { CallRecord, Emulator, EmuLine } from 'b24-emulator';

/**
 * What the soak measures on the portal's side (bench/soak.bench.ts), from the emulator's own
 * state, never from the app's register, so a stale register cannot hide anything:
 *
 * - Loads over the limit because of the app: at every transfer the app sends, the target's load
 *   on that line as the portal counts it (TYPE_MAX_CHAT: `answered` counts answered dialogs,
 *   otherwise every open one; or the app's own limit for the line, `lineLimits`) with the dialog
 *   just given is compared with the limit; at every lead write that sets a responsible, the
 *   target's open leads with the lead limit. Above it is an over-assignment. Separately: work
 *   given to an operator already AT their limit. On a line that counts only answered dialogs the
 *   new dialog does not count, so that takes nobody over the limit; it happens when the operator
 *   answered a dialog moments before and the app could not know yet (the portal sends no event
 *   for an operator's answer to an app that is not the line's connector).
 * - Free operator next to waiting: every sample (half a portal second), a line that has a
 *   waiting dialog (the app's register) and an available member (the portal's availability and
 *   count) adds the sample's length.
 * - Freed place → transfer: the scenario's own actions on the portal (a close, an operator's
 *   answer, a return from a break) are watched as they happen (`watch`); one that makes a member
 *   who was not free (full or away) free, on a line where something waits, opens a record at that
 *   moment, and the app's next transfer to that member on that line closes it. A record whose
 *   member is taken by something else first, or whose line has nothing left waiting, is not a
 *   handoff and is dropped (counted).
 */

const BOT_TRANSFER = 'imopenlines.bot.session.transfer';
const OPERATOR_TRANSFER = 'imopenlines.operator.transfer';

export interface OverAssignment {
  kind: 'dialog' | 'lead';
  /** over: the assignment took the load above the limit; full: given while at the limit, not above it */
  how: 'over' | 'full';
  at: number;
  operatorId: number;
  lineId?: number;
  load: number;
  limit: number;
  /** leads: of the target's, made by an open line and moved to them with their dialog in the last minute */
  followedLately?: number;
}

type Cause = 'close' | 'answer' | 'return' | 'other';

interface Freed {
  since: number;
  cause: Cause;
}

export class SoakProbe {
  readonly over: OverAssignment[] = [];
  dialogAssignments = 0;
  leadAssignments = 0;
  freeNextToWaitingSec = 0;
  /** freed place → transfer to that member, portal ms, by what freed it */
  readonly handoffs: { ms: number; cause: Cause }[] = [];
  droppedFrees = 0;
  private readonly open = new Map<string, Freed>();
  private lastSampleAt: number | null = null;
  /** as of the last sample: waiting dialogs and members per line */
  private waiting: ReadonlyMap<number, number> = new Map();
  private members: ReadonlyMap<number, readonly number[]> = new Map();

  constructor(
    private readonly emu: () => Emulator,
    private readonly clock: () => number,
    private readonly o: {
      leadLimit: number;
      openStatuses: readonly string[];
      /** lines whose limit the app's settings set instead of the line's MAX_CHAT / TYPE_MAX_CHAT */
      lineLimits?: ReadonlyMap<number, { max: number; counts: 'open' | 'answered' | 'unanswered' }>;
    },
  ) {}

  private limitOf(line: EmuLine): { max: number; counts: 'open' | 'answered' | 'unanswered' } {
    const own = this.o.lineLimits?.get(line.id);
    if (own) return own;
    const max = Number(line.config.MAX_CHAT ?? 0) || Number.POSITIVE_INFINITY;
    return { max, counts: String(line.config.TYPE_MAX_CHAT ?? '') === 'answered' ? 'answered' : 'open' };
  }

  /**
   * Wraps the scenario's portal actions that can free a place (emu.sim is what the scenario
   * drives), so each free is seen at the moment it happens.
   */
  watch(): void {
    const sim = this.emu().sim;
    const state = this.emu().state;
    const lineOfChat = (chatId: number) => state.chats.get(chatId)?.lineId;
    const close = sim.closeDialog.bind(sim);
    sim.closeDialog = (chatId) => {
      const chat = state.chats.get(chatId);
      const s = chat?.activeSessionId ? state.sessions.get(chat.activeSessionId) : undefined;
      return this.around(s ? [[s.lineId, s.operatorId]] : [], 'close', () => close(chatId));
    };
    const writes = sim.operatorWrites.bind(sim);
    sim.operatorWrites = (w) => {
      const lineId = lineOfChat(w.chatId);
      return this.around(lineId ? [[lineId, w.userId]] : [], 'answer', () => writes(w));
    };
    const setUser = sim.setUser.bind(sim);
    sim.setUser = (userId, patch) => {
      const pairs: [number, number][] = [];
      for (const [lineId, ids] of this.members) if (ids.includes(userId)) pairs.push([lineId, userId]);
      return this.around(pairs, patch.timeman === 'OPENED' ? 'return' : 'other', () =>
        setUser(userId, patch),
      );
    };
  }

  private around<T>(pairs: [number, number][], cause: Cause, act: () => T): T {
    const now = this.clock();
    const before = pairs.map(([lineId, id]) => this.isFree(lineId, id, now));
    const out = act();
    pairs.forEach(([lineId, id], i) => {
      const key = `${lineId}:${id}`;
      if (before[i] || this.open.has(key) || !(this.waiting.get(lineId) ?? 0)) return;
      if (this.isFree(lineId, id, now)) this.open.set(key, { since: now, cause });
    });
    return out;
  }

  private isFree(lineId: number, userId: number, now: number, loads?: ReadonlyMap<number, number>): boolean {
    const line = this.emu().state.lines.get(lineId);
    if (!line || !(this.members.get(lineId) ?? []).includes(userId)) return false;
    const { max } = this.limitOf(line);
    const load = loads ? (loads.get(userId) ?? 0) : this.lineLoad(line, userId);
    return this.available(line, userId, now) && load < max;
  }

  /** Every REST call the portal records (EmulatorOptions.onCall). */
  onCall(rec: CallRecord): void {
    if (rec.status !== 200 || rec.error) return;
    if (rec.method === BOT_TRANSFER || rec.method === OPERATOR_TRANSFER) this.transfer(rec);
    else if (rec.method === 'crm.item.update') this.leadWrite(rec);
  }

  private transfer(rec: CallRecord): void {
    const p = rec.params as Record<string, unknown>;
    const state = this.emu().state;
    const chat = state.chats.get(Number(p.CHAT_ID));
    const target = Number(p.USER_ID ?? p.TRANSFER_ID);
    if (!chat || !Number.isInteger(target) || target <= 0) return;
    const session = chat.activeSessionId ? state.sessions.get(chat.activeSessionId) : undefined;
    const line = session ? state.lines.get(session.lineId) : undefined;
    if (!session || !line || session.operatorId !== target) return;
    this.dialogAssignments++;
    const { max } = this.limitOf(line);
    if (Number.isFinite(max)) {
      const before = this.lineLoad(line, target, session.id);
      const after = this.lineLoad(line, target);
      if (before >= max)
        this.over.push({
          kind: 'dialog',
          // Above the limit because of this assignment only if it raised the count: on an
          // answered-only line the new dialog does not count (the operator was already there).
          how: after > max && after > before ? 'over' : 'full',
          at: rec.at,
          operatorId: target,
          lineId: line.id,
          load: before,
          limit: max,
        });
    }
    const key = `${line.id}:${target}`;
    const f = this.open.get(key);
    if (f) {
      this.handoffs.push({ ms: Math.max(0, rec.at - f.since), cause: f.cause });
      this.open.delete(key);
    }
  }

  private leadWrite(rec: CallRecord): void {
    const p = rec.params as Record<string, any>;
    if (Number(p.entityTypeId) !== 1) return;
    const target = Number(p.fields?.assignedById ?? p.fields?.ASSIGNED_BY_ID);
    const leadId = Number(p.id);
    if (!Number.isInteger(target) || target <= 0) return;
    this.leadAssignments++;
    let load = 0;
    for (const l of this.emu().state.crm.leads.values())
      if (l.id !== leadId && l.assignedById === target && this.o.openStatuses.includes(l.stageId)) load++;
    if (load >= this.o.leadLimit) {
      // Leads of the target the portal moved in within the last minute with their dialog (an
      // open line's lead follows its operator): what the app's check before the write could miss.
      const made = new Set<number>();
      for (const s of this.emu().state.sessions.values()) if (s.createdLeadId) made.add(s.createdLeadId);
      let followedLately = 0;
      for (const l of this.emu().state.crm.leads.values())
        if (l.assignedById === target && made.has(l.id) && rec.at - l.updatedAt < 60_000) followedLately++;
      this.over.push({
        kind: 'lead',
        how: 'over',
        at: rec.at,
        operatorId: target,
        load,
        limit: this.o.leadLimit,
        followedLately,
      });
    }
  }

  /** The member's dialogs on this line that count toward MAX_CHAT, as the portal counts them. */
  private lineLoad(line: EmuLine, userId: number, exceptSession = -1): number {
    return this.lineLoads(line, exceptSession).get(userId) ?? 0;
  }

  /** Every operator's counted dialogs on this line (one pass over the open sessions). */
  private lineLoads(line: EmuLine, exceptSession = -1): Map<number, number> {
    const { counts } = this.limitOf(line);
    const out = new Map<number, number>();
    for (const s of this.emu().state.sessions.values()) {
      if (s.closedAt !== null || s.lineId !== line.id || s.id === exceptSession) continue;
      const counted =
        counts === 'answered'
          ? s.status === 'answered'
          : counts === 'unanswered'
            ? s.status === 'assigned'
            : s.status === 'answered' || s.status === 'assigned';
      if (counted) out.set(s.operatorId, (out.get(s.operatorId) ?? 0) + 1);
    }
    return out;
  }

  private available(line: EmuLine, userId: number, now: number): boolean {
    const u = this.emu().state.users.get(userId);
    if (!u?.active) return false;
    if (String(line.config.CHECK_AVAILABLE ?? 'Y') !== 'Y') return true;
    const absent = u.absentUntil ? Date.parse(u.absentUntil) > now : false;
    return u.online && u.timeman === 'OPENED' && !absent;
  }

  /**
   * One sample at portal time `now`: `waiting` per line (the app's register), `members` per
   * line (the app's line index).
   */
  sample(
    now: number,
    waiting: ReadonlyMap<number, number>,
    members: ReadonlyMap<number, readonly number[]>,
  ): void {
    const state = this.emu().state;
    const step = this.lastSampleAt === null ? 0 : (now - this.lastSampleAt) / 1000;
    this.lastSampleAt = now;
    this.waiting = waiting;
    this.members = members;
    for (const line of state.lines.values()) {
      const waits = (waiting.get(line.id) ?? 0) > 0;
      const loads = this.lineLoads(line);
      let anyFree = false;
      for (const id of members.get(line.id) ?? []) {
        const key = `${line.id}:${id}`;
        const free = this.isFree(line.id, id, now, loads);
        if (free) anyFree = true;
        if (this.open.has(key) && (!free || !waits)) {
          // Taken by something else, or nothing left for them: no handoff to measure.
          this.open.delete(key);
          this.droppedFrees++;
        }
      }
      if (anyFree && waits) this.freeNextToWaitingSec += step;
    }
  }

  /** Freed places still waiting for their transfer at the end (counted as not handed off). */
  get pending(): number {
    return this.open.size;
  }

  /** Open leads per holder now, and how many of the largest holder's came from dialogs. */
  leadLoads(): { largest: number; fromDialogs: number } {
    const by = new Map<number, { n: number; fromDialogs: number }>();
    const made = new Set<number>();
    for (const s of this.emu().state.sessions.values()) if (s.createdLeadId) made.add(s.createdLeadId);
    for (const l of this.emu().state.crm.leads.values()) {
      if (!this.o.openStatuses.includes(l.stageId)) continue;
      const e = by.get(l.assignedById) ?? { n: 0, fromDialogs: 0 };
      e.n++;
      if (made.has(l.id)) e.fromDialogs++;
      by.set(l.assignedById, e);
    }
    let best = { n: 0, fromDialogs: 0 };
    for (const e of by.values()) if (e.n > best.n) best = e;
    return { largest: best.n, fromDialogs: best.fromDialogs };
  }
}
