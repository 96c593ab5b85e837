import type { DialogRow, PendingMove } from '../db/repositories/dialogs.ts';
import { absenceNow, type Cover, coverLinks, deputyOf } from '../absence/cover.ts';
import type { Decision, Item } from '../engine/index.ts';
import { handoverRule } from '../settings/absences.ts';
import type { PortalClient } from '../portal/client.ts';
import { dialogRef } from './line-quota.ts';
import { pendingFor } from './move-commands.ts';
import type { MoveOutcomes } from './move-outcomes.ts';
import type { MoveRunner } from './move-runner.ts';
import { type LineIndex, queueId } from './queue-index.ts';
import type { OpenLinesDeps } from './service-deps.ts';

/**
 * Deciding where a dialog in the register goes and recording that decision: the engine's item
 * for a row (CRM links, the previous operator), the decision, then the row set to
 * 'transferring' with everything needed to carry it out (PendingMove) before the portal is
 * asked. The MoveRunner takes it from there.
 */
export class Placement {
  constructor(
    private readonly d: OpenLinesDeps,
    private readonly moves: MoveRunner,
    private readonly outcomes: MoveOutcomes,
  ) {}

  /** Decides for one waiting row and starts carrying the decision out (not awaited). */
  async place(
    memberId: string,
    row: DialogRow,
    client: PortalClient,
    now: number,
  ): Promise<'assign' | 'portal_queue' | 'wait' | 'conflict'> {
    const idx = await this.d.indexes.get(memberId, row.lineId, client);
    if (!idx) return (await this.record(memberId, undefined, row, unknownLine(row.id), now)).action;
    const item = await this.itemFor(memberId, idx, row, client);
    const d = await this.d.indexes.decideOne(idx, item, now);
    return (await this.record(memberId, idx, row, d, now)).action;
  }

  /** The engine's item for a register row (CRM links and the previous operator when the rules use them). */
  async itemFor(
    memberId: string,
    idx: LineIndex,
    row: Pick<DialogRow, 'id' | 'chatId' | 'sessionId' | 'crm' | 'arrivedAt' | 'priority' | 'userCode'>,
    client: PortalClient,
  ): Promise<Item> {
    const rules = idx.rules;
    // A row not written yet (id 0) is named by its chat; a quota counts it by its session.
    const item: Item = {
      id: row.id || `chat${row.chatId}`,
      kind: 'dialog',
      arrivedAt: row.arrivedAt,
      priority: row.priority,
      ref: dialogRef(row.sessionId),
    };
    const extra: number[] = [];
    if (rules.responsible.enabled && row.crm) {
      item.crm = await this.d.crm.linksFor(
        memberId,
        client,
        row.crm,
        rules.responsible.precedence,
        row.arrivedAt,
      );
      for (const l of item.crm) extra.push(l.responsibleId);
    }
    if (rules.sticky.enabled) {
      item.previousOperatorId = await this.d.dialogs.previousOperator(
        memberId,
        row.userCode,
        row.id || Number.MAX_SAFE_INTEGER,
      );
      if (item.previousOperatorId) extra.push(item.previousOperatorId);
    }
    if (extra.length > 0) await this.d.indexes.ensureOperators(idx, client, extra);
    if (extra.length > 0) await this.cover(memberId, idx, item, client);
    return item;
  }

  /**
   * During an absence the deputy gets what the absent person would have got (the line's rule
   * `deputy`): an absent responsible's or previous operator's place in the item goes to their
   * deputy, and the item says whom the deputy covers (absence/cover.ts).
   */
  private async cover(memberId: string, idx: LineIndex, item: Item, client: PortalClient): Promise<void> {
    const handover = await this.d.settings.handover(memberId);
    if (!handover.enabled || handoverRule(handover, { line: idx.lineId }) !== 'deputy') return;
    const settings = await this.d.settings.operators(memberId);
    const now = this.d.clock();
    const stateOf = (id: number) => idx.dispatcher.stateOf(id);
    const states = new Map<number, { absentUntil: number | null }>();
    for (const l of item.crm ?? [])
      states.set(l.responsibleId, { absentUntil: stateOf(l.responsibleId)?.absentUntil ?? null });
    const covered = coverLinks(item.crm ?? [], 'deputy', states, settings, now);
    const covers: Record<number, Cover> = Object.fromEntries(covered.covers);
    const prev = item.previousOperatorId;
    if (prev != null) {
      const away = absenceNow(stateOf(prev) ?? undefined, settings[String(prev)], now);
      const deputy = away ? deputyOf(prev, settings, now) : null;
      if (away && deputy !== null) {
        item.previousOperatorId = deputy;
        covers[deputy] = { absentId: prev, until: away.until };
      }
    }
    if (Object.keys(covers).length === 0) return;
    item.crm = covered.links;
    item.covers = covers;
    await this.d.indexes.ensureOperators(idx, client, Object.keys(covers).map(Number));
  }

  /**
   * Writes a decision to the register and starts carrying it out. An assignment was committed
   * to the index, and its bookkeeping written, in the queue's turn that decided it
   * (QueueIndexes.decide).
   */
  async record(
    memberId: string,
    idx: LineIndex | undefined,
    row: DialogRow,
    d: Decision,
    now: number,
    o: { logAction?: PendingMove['logAction']; logWait?: boolean } = {},
  ): Promise<{ action: 'assign' | 'portal_queue' | 'wait' | 'conflict'; done?: Promise<void> }> {
    if (d.action === 'wait' || d.action === 'stay') {
      if (o.logWait === false) return { action: 'wait' };
      const upd = await this.d.dialogs.update(row, {}, now);
      if (!upd) return { action: 'conflict' };
      await this.d.assignmentLog.add({
        memberId,
        kind: 'dialog',
        objectId: String(row.chatId),
        queueId: queueId(row.lineId),
        action: 'wait',
        operatorId: null,
        previousOperatorId: row.holder === 'operator' ? row.operatorId : null,
        reason: d.reason,
        at: now,
      });
      return { action: 'wait' };
    }
    const holder = row.holder === 'bot' ? null : row.operatorId;
    const pending = pendingFor(this.d.claims.owner, holder, d, now, o.logAction);
    const upd = await this.d.dialogs.update(row, { state: 'transferring', pending }, now);
    if (!upd) {
      if (idx) this.d.indexes.invalidate(memberId, row.lineId);
      // The row moved on meanwhile: this decision is not carried out, so it does not count either.
      if (d.action === 'assign') await this.d.indexes.uncount(memberId, row.sessionId, d.operatorId, now);
      return { action: 'conflict' };
    }
    this.outcomes.recordedHere(upd.id, pending.decidedAt);
    return { action: d.action, done: this.moves.execute(memberId, upd.id, upd) };
  }
}

/** A line the app cannot read: the line's own queue is the safe place for the client. */
export function unknownLine(itemId: Item['id']): Decision {
  return {
    action: 'portal_queue',
    itemId,
    reason: { rule: 'portal_queue', skipped: { at_capacity: [], unavailable: [] }, detail: 'unknown_line' },
  };
}
