import type { LogEntry } from '../db/repositories/assignment-log.ts';
import type { DialogRepository, DialogRow, PendingMove } from '../db/repositories/dialogs.ts';
import { PortalError } from '../errors.ts';
import type { PortalClient } from '../portal/client.ts';
import { firstMessageDeadline, rulesFor } from './lines.ts';
import { type DialogFacts, dialogUnreadable, parseDialog } from './portal-adapter.ts';
import { queueId } from './queue-index.ts';
import type { OpenLinesDeps } from './service-deps.ts';
import type { WriteOutcome } from './write-queue.ts';

/**
 * OPERATOR_WRONG, from imopenlines.bot.session.transfer: "Transfer to the specified operator or
 * queue is not available"; from imopenlines.operator.transfer: "The target operator or line is
 * unavailable for transferring the current dialog" (imopenlines-bot-session-transfer.md,
 * imopenlines-operator-transfer.md). The target is left out of decisions for REFUSAL_MS (the docs
 * give no duration: long enough not to ask again at the next sync, short enough to notice a change).
 */
export const OPERATOR_WRONG = 'OPERATOR_WRONG';
export const REFUSAL_MS = 15 * 60_000;

/** What the portal's view of a chat says about a move that may have been sent (verdict). */
export type Verdict = 'done' | 'not_done' | 'over' | 'elsewhere' | 'unknown';

/**
 * The portal's view of these rows' chats, read in batch requests of 50 (imopenlines.dialog.get);
 * a chat that could not be read is missing from the answer (ACCESS_ERROR means "not found or
 * no access": unknown, never "gone").
 */
export async function readDialogs(
  client: PortalClient,
  rows: DialogRow[],
): Promise<Map<number, DialogFacts>> {
  const out = new Map<number, DialogFacts>();
  if (rows.length === 0) return out;
  const calls: Record<string, [string, Record<string, unknown>]> = {};
  for (const r of rows) calls[`d${r.id}`] = ['imopenlines.dialog.get', { CHAT_ID: r.chatId }];
  const res = await client.batch(calls);
  for (const r of rows) {
    const facts = parseDialog(res.results[`d${r.id}`]);
    if (facts) out.set(r.id, facts);
  }
  return out;
}

/** The bot this portal's open lines joined chats with, as stored at setup. */
export async function storedBotId(d: Pick<OpenLinesDeps, 'repo'>, memberId: string): Promise<number | null> {
  return (await d.repo.bot(memberId))?.botId ?? null;
}

/**
 * What becomes of a dialog's row once its recorded move has an outcome: the portal carried it
 * out (confirm: logged once, the row moved once), refused it or was found in another state
 * (reconcile: who holds the chat now says what happened), or the session is over (close). Each
 * change is a compare-and-set on the row's version, so none happens twice.
 */
export class MoveOutcomes {
  /** decisions this process recorded: their log rows cannot exist yet, no need to look */
  private readonly ownDecisions = new Set<string>();

  constructor(
    private readonly d: OpenLinesDeps,
    /** a place on this line may have freed up: drain its waiting dialogs soon */
    private readonly freed: (memberId: string, lineId: number) => void,
  ) {}

  /** This process has just recorded this decision (its log row cannot exist yet). */
  recordedHere(rowId: number, decidedAt: number): void {
    this.ownDecisions.add(`${rowId}:${decidedAt}`);
  }

  /**
   * What the portal's view of a chat says about a move that may have been sent: done (the
   * target has it; for a move to the line's queue, the previous holder no longer has it), not
   * done (the previous holder still has it), over (another session), elsewhere (someone else
   * or nobody has it) or unknown (unreadable: never a reason to resend or to forget).
   */
  async verdict(memberId: string, row: DialogRow, facts: DialogFacts | null): Promise<Verdict> {
    if (!facts) return 'unknown';
    if (facts.sessionId !== null && facts.sessionId !== row.sessionId) return 'over';
    const p = row.pending!;
    const from =
      row.holder === 'operator'
        ? row.operatorId
        : row.holder === 'bot'
          ? await storedBotId(this.d, memberId)
          : null;
    if (p.targetId !== null && facts.ownerId === p.targetId) return 'done';
    if (from !== null && facts.ownerId === from) return 'not_done';
    if (p.targetId === null) return 'done';
    return 'elsewhere';
  }

  /** Brings a row in line with a verdict other than 'not done'. */
  async settle(memberId: string, row: DialogRow, v: Verdict, facts: DialogFacts | null): Promise<void> {
    if (v === 'done') {
      await this.confirm(memberId, row, { note: 'confirmed_on_retry' });
      return;
    }
    if (v === 'unknown' || !facts) {
      this.d.log.warn(
        { memberId, chatId: row.chatId },
        'dialog unreadable: its move is neither sent again nor forgotten; read again later',
      );
      await this.d.dialogs.markUnreadable([row.id], this.d.clock());
      return;
    }
    await this.reconcileWith(memberId, row, facts, 'read back');
  }

  /** The portal carried the decision out: log it (once) and move the row (once). */
  async confirm(memberId: string, row: DialogRow, o: { note?: string } = {}): Promise<DialogRow | undefined> {
    const p = row.pending!;
    const now = this.d.clock();
    const first = p.logAction === 'assign' && row.firstAssignedAt === null && p.targetId !== null;
    const entry: LogEntry = {
      memberId,
      kind: 'dialog',
      objectId: String(row.chatId),
      queueId: queueId(row.lineId),
      action: p.logAction,
      operatorId: p.targetId,
      previousOperatorId: p.fromId,
      reason: o.note ? { ...(p.reason as object), detail: o.note } : p.reason,
      latencyMs: first ? Math.max(0, now - row.arrivedAt) : null,
      at: p.decidedAt,
    };
    if (!this.ownDecisions.delete(`${row.id}:${p.decidedAt}`)) {
      const seen = await this.d.assignmentLog.recent(memberId, {
        kind: 'dialog',
        objectId: entry.objectId,
        limit: 20,
      });
      if (
        !seen.some((r) => r.action === entry.action && r.operatorId === entry.operatorId && r.at === entry.at)
      ) {
        await this.d.assignmentLog.add(entry);
      }
    } else await this.d.assignmentLog.add(entry);
    let patch: Parameters<DialogRepository['update']>[1];
    if (p.targetId === null) {
      patch = {
        state: 'portal',
        holder: 'none',
        operatorId: null,
        pending: null,
        answered: false,
        passOnAt: null,
      };
    } else {
      const passOnAt = await this.passOnAt(memberId, row.lineId, now);
      patch = {
        state: 'assigned',
        holder: 'operator',
        operatorId: p.targetId,
        pending: null,
        answered: row.holder === 'operator' && row.operatorId === p.targetId ? row.answered : false,
        assignedAt: now,
        passOnAt,
        round: p.round ?? [p.targetId],
        firstAssignedAt: row.firstAssignedAt ?? now,
      };
    }
    const upd = await this.d.dialogs.update(row, patch, now);
    if (upd && p.fromId !== null && p.fromId !== p.targetId) {
      await this.d.indexes.refreshLoads(memberId, row.lineId);
      this.freed(memberId, row.lineId);
    }
    if (upd && p.targetId !== null && p.fromId !== p.targetId) {
      this.tellOwner(upd, {
        from: p.fromId,
        to: p.targetId,
        cause: p.logAction,
        byPerson: false,
        at: now,
      });
    }
    return upd;
  }

  /**
   * The one-owner policy hears of every chat that changed hands (owner/hooks.ts). Its own
   * failures are its own, and its writes its own: they never undo or hold up the move itself
   * (not awaited; owner.idle() waits for them).
   */
  tellOwner(
    row: DialogRow,
    c: {
      from: number | null;
      to: number;
      cause: PendingMove['logAction'] | 'transfer';
      byPerson: boolean;
      at: number;
    },
  ): void {
    const owner = this.d.owner?.();
    if (!owner) return;
    owner
      .chatChanged({ memberId: row.memberId, chatId: row.chatId, lineId: row.lineId, crm: row.crm, ...c })
      .catch((err) =>
        this.d.log.warn(
          { memberId: row.memberId, chatId: row.chatId, err: (err as Error).message },
          'one owner: the CRM side could not follow the chat now',
        ),
      );
  }

  /**
   * The portal refused a write: who holds the chat now tells what happened (reconcileWith). A
   * chat that cannot be read tells nothing (ACCESS_ERROR is "not found or no access"): the row
   * keeps its recorded move, is marked unreadable, and is read back later (unreadable.ts).
   */
  async reconcile(
    memberId: string,
    row: DialogRow,
    out: Extract<WriteOutcome, { ok: false }>,
  ): Promise<void> {
    const client = await this.d.clients.get(memberId);
    let facts: DialogFacts | null = null;
    try {
      facts = parseDialog(await client.call('imopenlines.dialog.get', { CHAT_ID: row.chatId }));
    } catch (err) {
      this.d.log.warn(
        { memberId, chatId: row.chatId, err: (err as Error).message },
        'dialog unreadable after a refused transfer; read back later',
      );
      if (err instanceof PortalError && dialogUnreadable(err.b24Error))
        await this.d.dialogs.markUnreadable([row.id], this.d.clock());
    }
    if (facts) await this.reconcileWith(memberId, row, facts, out.error);
  }

  /**
   * Who holds the chat now tells what happened to a move: the target (the transfer went
   * through before, e.g. a re-run) → done; the bot, or the previous holder → the target was
   * refused, so the dialog goes back to distribution without them; somebody else → the portal
   * or a person moved it; nobody or another session → it is over.
   */
  private async reconcileWith(memberId: string, row: DialogRow, facts: DialogFacts, error: string) {
    const p = row.pending!;
    const now = this.d.clock();
    if (facts.sessionId !== null && facts.sessionId !== row.sessionId) {
      await this.close(row, now);
      return;
    }
    const botId = await storedBotId(this.d, memberId);
    if (p.targetId !== null && facts.ownerId === p.targetId) {
      await this.confirm(memberId, row, { note: 'confirmed_on_retry' });
      return;
    }
    const stillWithPrevious =
      (facts.ownerId !== 0 && facts.ownerId === botId && row.holder === 'bot') ||
      (facts.ownerId !== 0 && row.holder === 'operator' && facts.ownerId === row.operatorId);
    if (stillWithPrevious) {
      this.d.log.warn(
        { memberId, chatId: row.chatId, target: p.targetId, error },
        'the portal refused the transfer; deciding again without that operator',
      );
      if (p.targetId !== null) {
        this.d.directory.invalidate(memberId, [p.targetId]);
        await this.d.indexes.uncount(memberId, row.sessionId, p.targetId, p.decidedAt);
        if (error === OPERATOR_WRONG) {
          // Documented: the target "is unavailable for transferring" (not this dialog's fault).
          await this.d.indexes.refuseUntil(memberId, p.targetId, now + REFUSAL_MS, error);
        } else this.d.indexes.refuse(memberId, row.lineId, p.targetId);
      }
      const upd = await this.d.dialogs.update(row, { state: 'waiting', pending: null }, now);
      if (upd) {
        await this.d.indexes.refreshLoads(memberId, row.lineId);
        if (p.targetId === null) {
          // Even the line's queue refused: leave it to the portal's own timer rather than loop.
          await this.d.dialogs.update(upd, { state: 'portal', holder: 'none', operatorId: null }, now);
        } else this.freed(memberId, row.lineId);
      }
      return;
    }
    if (facts.ownerId === 0) {
      // Unowned in the portal's queue (or closed without a new session): the portal has it.
      await this.d.dialogs.update(
        row,
        { state: 'portal', holder: 'none', operatorId: null, pending: null, passOnAt: null },
        now,
      );
      await this.d.indexes.refreshLoads(memberId, row.lineId);
      return;
    }
    await this.d.dialogs.update(
      row,
      {
        state: 'portal',
        holder: 'operator',
        operatorId: facts.ownerId,
        pending: null,
        passOnAt: null,
        answered: false,
      },
      now,
    );
    await this.d.indexes.refreshLoads(memberId, row.lineId);
  }

  /** The session is over: it stops counting, and whoever had it may take a waiting one. */
  async close(row: DialogRow, now: number): Promise<void> {
    const upd = await this.d.dialogs.update(
      row,
      { state: 'closed', holder: 'none', pending: null, passOnAt: null, closedAt: now },
      now,
    );
    if (upd && row.state !== 'waiting') {
      await this.d.indexes.refreshLoads(row.memberId, row.lineId);
      this.freed(row.memberId, row.lineId);
    }
  }

  /** The operator's first-answer deadline from `now` (the line's timeout, in working hours when set). */
  private async passOnAt(memberId: string, lineId: number, now: number): Promise<number | null> {
    const idx = this.d.indexes.peek(memberId, lineId);
    if (idx) return firstMessageDeadline(now, idx.rules, idx.settings);
    const line = await this.d.lines.get(memberId, lineId);
    if (!line) return null;
    const settings = await this.d.settings.line(memberId, lineId);
    return firstMessageDeadline(now, rulesFor(line, settings), settings);
  }
}
