import type { AssignmentLogRepository, LogEntry } from '../db/repositories/assignment-log.ts';
import type { CrmIds, DialogRepository, DialogRow, PendingMove } from '../db/repositories/dialogs.ts';
import type { OpenLinesRepository } from '../db/repositories/openlines.ts';
import type { QueueStateRepository } from '../db/repositories/queue-state.ts';
import { type Decision, Dispatcher, type Item, type OpenLoad, type OperatorState } from '../engine/index.ts';
import type { Logger } from '../log/logger.ts';
import type { Manifest } from '../manifest.ts';
import type { OperatorDirectory } from '../operators/index.ts';
import type { PortalClient } from '../portal/client.ts';
import type { ClientFactory } from '../portal/client-pool.ts';
import type { SettingsService } from '../settings/service.ts';
import { ensureOpenlineBot } from './bot-setup.ts';
import type { CrmLinks } from './crm-links.ts';
import { type LineDirectory, type LineInfo, rulesFor } from './lines.ts';
import type { MoveClaim, MoveClaims } from './move-claims.ts';
import { type Author, type DialogFacts, lineIdFromUserCode, parseDialog } from './portal-adapter.ts';
import { type LineIndex, type QueueIndexes, queueId } from './queue-index.ts';
import { QueueStamps } from './stamps.ts';
import { NOT_CLAIMED, type WriteOutcome, type WriteQueue } from './write-queue.ts';

export const BOT_TRANSFER = 'imopenlines.bot.session.transfer';
export const OPERATOR_TRANSFER = 'imopenlines.operator.transfer';
export const BOT_TO_QUEUE = 'imopenlines.bot.session.operator';

/** A bot join, whichever bot API delivered it. */
export interface JoinInfo {
  chatId: number;
  /** null when the event does not carry it (v1): read with imopenlines.dialog.get */
  sessionId: number | null;
  userCode: string;
  /** null when the event does not carry the CRM bindings */
  crm: CrmIds | null;
}

export interface MessageInfo {
  chatId: number;
  messageId: number;
  authorId: number;
  author: Author;
}

export interface EventMeta {
  receivedAt: number;
  eventId: number | null;
  client: () => Promise<PortalClient>;
}

export interface DrainResult {
  assigned: number;
  portal: number;
  waiting: number;
}

export interface OpenLinesDeps {
  dialogs: DialogRepository;
  repo: OpenLinesRepository;
  lines: LineDirectory;
  indexes: QueueIndexes;
  directory: OperatorDirectory;
  settings: SettingsService;
  queueState: QueueStateRepository;
  assignmentLog: AssignmentLogRepository;
  clients: ClientFactory;
  writes: WriteQueue;
  /** who may send a recorded move, and the mark that it may have been sent */
  claims: MoveClaims;
  crm: CrmLinks;
  manifest: Manifest;
  publicUrl: string;
  clock: () => number;
  log: Logger;
}

const RETRY_DELAYS_MS = [250, 1000, 3000, 8000];

interface RunOptions {
  /** false: the caller has just read the portal back and found the move not done */
  readBack?: boolean;
}

type Verdict = 'done' | 'not_done' | 'over' | 'elsewhere' | 'unknown';

/**
 * The portal's view of these rows' chats, read in batch requests of 50 (imopenlines.dialog.get);
 * a chat that could not be read is missing from the answer (ACCESS_ERROR means "not found or
 * no access": unknown, never "gone").
 */
async function readDialogs(client: PortalClient, rows: DialogRow[]): Promise<Map<number, DialogFacts>> {
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

/**
 * Open-line dialogs from the bot's join to an operator: the register, the decision (the
 * engine), and the portal write, in an order that survives a crash at any point. A decision
 * is written to the register (state 'transferring', with everything needed to finish it)
 * before the portal is asked; finishing it is idempotent (a repeated transfer is recognised
 * by who holds the chat), and every move of a row is a compare-and-set on its version, so a
 * dialog is never moved twice nor counted twice.
 */
export class OpenLinesService {
  private readonly executing = new Map<number, Promise<void>>();
  /** decisions this process recorded: their log rows cannot exist yet, no need to look */
  private readonly ownDecisions = new Set<string>();
  private readonly drainChains = new Map<string, Promise<unknown>>();
  private readonly kicks = new Map<string, { timer: NodeJS.Timeout; lines: Set<number> | null }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly recoveries = new Map<string, NodeJS.Timeout>();
  private stopped = false;
  private readonly stamps: QueueStamps;

  constructor(readonly d: OpenLinesDeps) {
    this.stamps = new QueueStamps(d.queueState, d.log);
  }

  // ---------------------------------------------------------------- bot

  /** The portal's open-line bot, found or registered (bot-setup.ts). */
  ensureBot(memberId: string, client: PortalClient): Promise<number> {
    return ensureOpenlineBot(this.d, memberId, client);
  }

  // ---------------------------------------------------------------- read side (dashboard, settings page)

  /** The lines the app distributes, as last read from the portal. */
  lines(memberId: string): Promise<LineInfo[]> {
    return this.d.lines.all(memberId);
  }

  /** One line's queue settings (departments expanded); read from the portal if never seen. */
  lineConfig(memberId: string, lineId: number, client?: PortalClient): Promise<LineInfo | undefined> {
    return this.d.lines.get(memberId, lineId, client);
  }

  /** Open dialogs per operator on a line, by who wrote last (what limits count). */
  loads(memberId: string, lineId: number): Promise<Map<number, OpenLoad>> {
    return this.d.dialogs.loads(memberId, lineId);
  }

  /** Dialogs waiting in the app's queue. */
  waiting(memberId: string): Promise<DialogRow[]> {
    return this.d.dialogs.open(memberId, ['waiting']);
  }

  /** For the lead handler: the operator the app gave this client's open dialog to (DialogLookup). */
  assignedOperator(memberId: string, userCode: string): Promise<number | null> {
    return this.d.dialogs.assignedOperator(memberId, userCode);
  }

  /** For the lead handler: whether the client's dialog is still being placed (DialogLookup). */
  dialogState(memberId: string, userCode: string): Promise<'placing' | 'placed' | 'unknown'> {
    return this.d.dialogs.stateByUserCode(memberId, userCode);
  }

  async botId(memberId: string): Promise<number | null> {
    return (await this.d.repo.bot(memberId))?.botId ?? null;
  }

  async onBotDeleted(memberId: string, botId: number | null): Promise<void> {
    await this.d.repo.forgetBot(memberId, botId ?? undefined);
  }

  // ---------------------------------------------------------------- events

  /** The bot joined an open-line chat: a new session to record, decide and hand over. */
  async onJoin(memberId: string, j: JoinInfo, ev: EventMeta): Promise<void> {
    let { sessionId, crm, userCode } = j;
    if (sessionId === null || !userCode) {
      const facts = parseDialog(
        await (await ev.client()).call('imopenlines.dialog.get', { CHAT_ID: j.chatId }),
      );
      sessionId ??= facts?.sessionId ?? null;
      crm ??= facts?.crm ?? null;
      userCode ||= facts?.userCode ?? '';
    }
    const lineId = lineIdFromUserCode(userCode);
    if (sessionId === null || lineId === null) {
      this.d.log.warn(
        { memberId, chatId: j.chatId },
        'bot joined a chat with no readable session or line; ignored',
      );
      return;
    }
    const now = this.d.clock();
    const client = await ev.client();
    const draft = {
      memberId,
      chatId: j.chatId,
      sessionId,
      lineId,
      userCode,
      crm,
      arrivedAt: ev.receivedAt,
      eventId: ev.eventId,
      now,
    };
    for (let attempt = 0; attempt < 2; attempt++) {
      // Decide first, so that the row is written once, already carrying its decision.
      const idx = await this.d.indexes.get(memberId, lineId, client);
      const d = idx
        ? idx.dispatcher.decide(
            await this.itemFor(memberId, idx, { ...draft, id: 0, priority: 0 }, client),
            now,
          )
        : unknownLine(j.chatId);
      const pending =
        d.action === 'assign' || d.action === 'portal_queue' ? this.pendingFor(null, d, now) : null;
      if (d.action === 'assign' && idx) {
        idx.dispatcher.commit(d);
        this.d.indexes.committed(memberId, lineId);
      }
      const ins = await this.d.dialogs.insert({ ...draft, pending });
      if (ins.created) {
        if (d.action === 'assign' && idx) this.stamp(memberId, idx, d);
        if (pending) {
          this.ownDecisions.add(`${ins.row.id}:${pending.decidedAt}`);
          void this.execute(memberId, ins.row.id, ins.row);
        } else await this.record(memberId, idx, ins.row, d, now);
        return;
      }
      // Nothing written: the index must forget the assignment it counted.
      if (d.action === 'assign') this.d.indexes.invalidate(memberId, lineId);
      if (ins.row) {
        // A re-run of the same event: finish what the first run started, decide nothing new.
        const row = ins.row;
        if (row.state === 'transferring') void this.execute(memberId, row.id);
        else if (row.state === 'waiting' && row.version === 0) await this.place(memberId, row, client, now);
        return;
      }
      // The chat still has an open row of an earlier session: that session is over.
      for (const old of await this.d.dialogs.openByChat(memberId, j.chatId)) {
        if (old.sessionId !== sessionId) await this.close(old, now);
      }
    }
    throw new Error(`chat ${j.chatId}: could not record session ${sessionId}`);
  }

  /** A message in a chat the bot is in (the dialog waits in the app's queue, or a race with the hand-over). */
  async onMessage(memberId: string, m: MessageInfo): Promise<void> {
    if (m.author === 'system' || m.author === 'bot') return;
    for (let attempt = 0; attempt < 3; attempt++) {
      const rows = await this.d.dialogs.openByChat(memberId, m.chatId);
      const row = rows.at(-1);
      if (!row || m.messageId <= row.lastMessageId) return;
      const patch: Parameters<DialogRepository['update']>[1] = { lastMessageId: m.messageId };
      let freed = false;
      if (m.author === 'client') patch.lastFrom = 'client';
      else {
        patch.lastFrom = 'operator';
        if (
          row.operatorId === m.authorId &&
          (row.state === 'assigned' || row.state === 'portal') &&
          !row.answered
        ) {
          patch.answered = true;
          patch.round = [];
          freed = true;
        }
      }
      const upd = await this.d.dialogs.update(row, patch, this.d.clock());
      if (!upd) continue;
      if (freed || row.state === 'assigned') await this.d.indexes.refreshLoads(memberId, row.lineId);
      if (freed) this.kickDrain(memberId, row.lineId);
      return;
    }
  }

  // ---------------------------------------------------------------- deciding

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
    const d = idx.dispatcher.decide(item, now);
    return (await this.record(memberId, idx, row, d, now)).action;
  }

  /** The engine's item for a register row (CRM links and the previous operator when the rules use them). */
  async itemFor(
    memberId: string,
    idx: LineIndex,
    row: Pick<DialogRow, 'id' | 'chatId' | 'crm' | 'arrivedAt' | 'priority' | 'userCode'>,
    client: PortalClient,
  ): Promise<Item> {
    const rules = idx.rules;
    // A row not written yet (id 0) is named by its chat.
    const item: Item = {
      id: row.id || `chat${row.chatId}`,
      kind: 'dialog',
      arrivedAt: row.arrivedAt,
      priority: row.priority,
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
    return item;
  }

  /**
   * Writes a decision to the register and starts carrying it out. `committed` = the index
   * already counted it (drain does); otherwise an assignment is committed here, in the same
   * tick as the decision, so the next decision sees it.
   */
  async record(
    memberId: string,
    idx: LineIndex | undefined,
    row: DialogRow,
    d: Decision,
    now: number,
    o: { committed?: boolean; logAction?: PendingMove['logAction']; logWait?: boolean } = {},
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
    if (d.action === 'assign') {
      if (!o.committed && idx) idx.dispatcher.commit(d);
      if (idx) this.d.indexes.committed(memberId, row.lineId);
    }
    const pending = this.pendingFor(row.holder === 'bot' ? null : row.operatorId, d, now, o.logAction);
    if (d.action === 'assign' && idx) this.stamp(memberId, idx, d);
    const upd = await this.d.dialogs.update(row, { state: 'transferring', pending }, now);
    if (!upd) {
      if (idx) this.d.indexes.invalidate(memberId, row.lineId);
      return { action: 'conflict' };
    }
    this.ownDecisions.add(`${upd.id}:${pending.decidedAt}`);
    return { action: d.action, done: this.execute(memberId, upd.id, upd) };
  }

  /**
   * What carrying a decision out takes: from the bot (`holder` null) the bot methods, from an
   * operator imopenlines.operator.transfer; to a user, or to the line's own queue.
   */
  private pendingFor(
    holder: number | null,
    d: Extract<Decision, { action: 'assign' | 'portal_queue' }>,
    now: number,
    logAction?: PendingMove['logAction'],
  ): PendingMove {
    const viaBot = holder === null;
    if (d.action === 'assign') {
      return {
        method: viaBot ? BOT_TRANSFER : OPERATOR_TRANSFER,
        targetId: d.operatorId,
        fromId: holder,
        logAction: logAction ?? (viaBot ? 'assign' : 'return'),
        reason: d.reason,
        stamp: d.stamp,
        round: d.round,
        decidedAt: now,
        attempts: 0,
        owner: this.d.claims.owner,
        sentAt: null,
      };
    }
    return {
      method: viaBot ? BOT_TO_QUEUE : OPERATOR_TRANSFER,
      targetId: null,
      fromId: holder,
      logAction: 'portal_queue',
      reason: d.reason,
      stamp: null,
      decidedAt: now,
      attempts: 0,
      owner: this.d.claims.owner,
      sentAt: null,
    };
  }

  private stamp(memberId: string, idx: LineIndex, d: Extract<Decision, { action: 'assign' }>): void {
    this.stamps.record(
      memberId,
      queueId(idx.lineId),
      d.operatorId,
      d.stamp,
      idx.rules.mode === 'weighted' ? idx.dispatcher.credits() : undefined,
    );
  }

  // ---------------------------------------------------------------- carrying out

  /** Carries out a row's recorded decision; one run per row at a time; never throws. */
  execute(memberId: string, rowId: number, row?: DialogRow, o: RunOptions = {}): Promise<void> {
    const running = this.executing.get(rowId);
    if (running) return running;
    const p = this.run(memberId, rowId, row, o)
      .catch((err) => this.d.log.error({ memberId, rowId, err: (err as Error).message }, 'transfer failed'))
      .finally(() => this.executing.delete(rowId));
    this.executing.set(rowId, p);
    return p;
  }

  /**
   * Starts every recorded decision the portal has not confirmed (after a crash, or retries that
   * ran out). Moves that may have reached the portal are read back first, all of them in batch
   * requests, and sent again only where the portal shows they were not done. Moves another live
   * process holds are left to it; the recovery runs again when they become free.
   */
  async recover(memberId: string): Promise<number> {
    const rows = (await this.d.dialogs.open(memberId, ['transferring'])).filter(
      (r) => r.pending && !this.executing.has(r.id),
    );
    const now = this.d.clock();
    const free: DialogRow[] = [];
    let nextAt = Number.POSITIVE_INFINITY;
    for (const r of rows) {
      const at = await this.d.claims.freeAt(r.pending!);
      if (at <= now) free.push(r);
      else nextAt = Math.min(nextAt, at);
    }
    if (nextAt < Number.POSITIVE_INFINITY) this.recoverLater(memberId, nextAt - now);
    const sent = free.filter((r) => r.pending!.attempts > 0);
    let facts: Map<number, DialogFacts>;
    try {
      facts = await readDialogs(await this.d.clients.get(memberId), sent);
    } catch (err) {
      // Nothing is sent again unread: try the whole recovery again shortly.
      this.d.log.warn({ memberId, err: (err as Error).message }, 'read-back failed; recovery retries');
      this.recoverLater(memberId, 2000);
      return 0;
    }
    const runs: Promise<void>[] = [];
    for (const r of free) {
      if (r.pending!.attempts > 0) {
        const v = await this.verdict(memberId, r, facts.get(r.id) ?? null);
        if (v !== 'not_done') {
          await this.settle(memberId, r, v, facts.get(r.id) ?? null);
          continue;
        }
      }
      runs.push(this.execute(memberId, r.id, r, { readBack: false }));
    }
    await Promise.all(runs);
    return free.length;
  }

  private recoverLater(memberId: string, inMs: number): void {
    if (this.stopped || this.recoveries.has(memberId)) return;
    const t = setTimeout(
      () => {
        this.recoveries.delete(memberId);
        this.recover(memberId).catch((err) =>
          this.d.log.warn({ memberId, err: (err as Error).message }, 'recovery failed; sync retries'),
        );
      },
      Math.max(50, inMs + 50),
    );
    t.unref?.();
    this.recoveries.set(memberId, t);
  }

  private async run(memberId: string, rowId: number, known: DialogRow | undefined, o: RunOptions) {
    for (let attempt = 0; !this.stopped; attempt++) {
      // The caller's row is current on the first attempt (it comes from the move that recorded it).
      const row = attempt === 0 && known ? known : await this.d.dialogs.get(rowId);
      if (row?.state !== 'transferring' || !row.pending) return;
      const p = row.pending;
      if (p.targetId !== null && row.holder === 'operator' && row.operatorId === p.targetId) {
        // Already theirs (e.g. back from a return to the same operator): nothing to ask the portal.
        await this.confirm(memberId, row);
        return;
      }
      // Another live process holds it (or its last send may still be under way): theirs.
      if ((await this.d.claims.freeAt(p)) > this.d.clock()) return;
      if (p.attempts > 0 && (attempt > 0 || o.readBack !== false)) {
        // It may have reached the portal: the portal says, before anything is sent again.
        let facts: DialogFacts | null;
        try {
          facts = (await readDialogs(await this.d.clients.get(memberId), [row])).get(row.id) ?? null;
        } catch (err) {
          // Not read, so not sent: ask again after a pause.
          if (attempt >= RETRY_DELAYS_MS.length) throw err;
          await this.sleep(RETRY_DELAYS_MS[attempt]);
          continue;
        }
        const v = await this.verdict(memberId, row, facts);
        if (v !== 'not_done') {
          await this.settle(memberId, row, v, facts);
          return;
        }
      }
      const claim: MoveClaim = { kind: 'dialog-move', rowId: row.id, decidedAt: p.decidedAt };
      const out = await this.d.writes.submit(memberId, { ...this.command(row, p), claim });
      if (out.ok) {
        // The claim moved the row's version: confirm against the row as it is now.
        const now = await this.d.dialogs.get(row.id);
        if (now?.state === 'transferring' && now.pending?.decidedAt === p.decidedAt) {
          await this.confirm(memberId, now);
        }
        return;
      }
      if (out.error === NOT_CLAIMED) {
        // Decided again, finished or taken over meanwhile: look again (bounded).
        if (attempt >= 2) return;
        continue;
      }
      if (out.sent === 'yes' && !out.retryable) {
        await this.reconcile(memberId, (await this.d.dialogs.get(row.id)) ?? row, out);
        return;
      }
      // Not sent, or the answer was lost: again after a pause (a lost one is read back first).
      if (attempt >= RETRY_DELAYS_MS.length) {
        this.d.log.warn(
          { memberId, chatId: row.chatId, error: out.error },
          'transfer still failing; sync retries it',
        );
        return;
      }
      await this.sleep(RETRY_DELAYS_MS[attempt]);
    }
  }

  /**
   * What the portal's view of a chat says about a move that may have been sent: done (the
   * target has it; for a move to the line's queue, the previous holder no longer has it), not
   * done (the previous holder still has it), over (another session), elsewhere (someone else
   * or nobody has it) or unknown (unreadable: never a reason to resend or to forget).
   */
  private async verdict(memberId: string, row: DialogRow, facts: DialogFacts | null): Promise<Verdict> {
    if (!facts) return 'unknown';
    if (facts.sessionId !== null && facts.sessionId !== row.sessionId) return 'over';
    const p = row.pending!;
    const from =
      row.holder === 'operator' ? row.operatorId : row.holder === 'bot' ? await this.botId(memberId) : null;
    if (p.targetId !== null && facts.ownerId === p.targetId) return 'done';
    if (from !== null && facts.ownerId === from) return 'not_done';
    if (p.targetId === null) return 'done';
    return 'elsewhere';
  }

  /** Brings a row in line with a verdict other than 'not done'. */
  private async settle(memberId: string, row: DialogRow, v: Verdict, facts: DialogFacts | null) {
    if (v === 'done') {
      await this.confirm(memberId, row, { note: 'confirmed_on_retry' });
      return;
    }
    if (v === 'unknown') {
      this.d.log.warn(
        { memberId, chatId: row.chatId },
        'dialog unreadable: its move is neither sent again nor forgotten; sync retries',
      );
      return;
    }
    await this.reconcileWith(memberId, row, facts, 'read back');
  }

  private command(row: DialogRow, p: PendingMove) {
    if (p.method === BOT_TRANSFER) {
      return { method: p.method, params: { CHAT_ID: row.chatId, USER_ID: p.targetId, LEAVE: 'Y' } };
    }
    if (p.method === BOT_TO_QUEUE) return { method: p.method, params: { CHAT_ID: row.chatId } };
    return {
      method: p.method,
      params: {
        CHAT_ID: row.chatId,
        TRANSFER_ID: p.targetId === null ? `queue${row.lineId}` : String(p.targetId),
      },
    };
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
      const passOnSec = await this.passOnSec(memberId, row.lineId);
      patch = {
        state: 'assigned',
        holder: 'operator',
        operatorId: p.targetId,
        pending: null,
        answered: row.holder === 'operator' && row.operatorId === p.targetId ? row.answered : false,
        assignedAt: now,
        passOnAt: passOnSec === null ? null : now + passOnSec * 1000,
        round: p.round ?? [p.targetId],
        firstAssignedAt: row.firstAssignedAt ?? now,
      };
    }
    const upd = await this.d.dialogs.update(row, patch, now);
    if (upd && p.fromId !== null && p.fromId !== p.targetId) {
      await this.d.indexes.refreshLoads(memberId, row.lineId);
      this.kickDrain(memberId, row.lineId);
    }
    return upd;
  }

  /** The portal refused a write: who holds the chat now tells what happened (reconcileWith). */
  private async reconcile(memberId: string, row: DialogRow, out: Extract<WriteOutcome, { ok: false }>) {
    const client = await this.d.clients.get(memberId);
    let facts: DialogFacts | null = null;
    try {
      facts = parseDialog(await client.call('imopenlines.dialog.get', { CHAT_ID: row.chatId }));
    } catch (err) {
      this.d.log.warn(
        { memberId, chatId: row.chatId, err: (err as Error).message },
        'dialog unreadable after a refused transfer',
      );
    }
    await this.reconcileWith(memberId, row, facts, out.error);
  }

  /**
   * Who holds the chat now tells what happened to a move: the target (the transfer went
   * through before, e.g. a re-run) → done; the bot, or the previous holder → the target was
   * refused, so the dialog goes back to distribution without them; somebody else → the portal
   * or a person moved it; nobody or another session → it is over.
   */
  private async reconcileWith(memberId: string, row: DialogRow, facts: DialogFacts | null, error: string) {
    const p = row.pending!;
    const now = this.d.clock();
    if (!facts || (facts.sessionId !== null && facts.sessionId !== row.sessionId)) {
      await this.close(row, now);
      return;
    }
    const botId = await this.botId(memberId);
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
        this.d.indexes.refuse(memberId, row.lineId, p.targetId);
      }
      const upd = await this.d.dialogs.update(row, { state: 'waiting', pending: null }, now);
      if (upd) {
        await this.d.indexes.refreshLoads(memberId, row.lineId);
        if (p.targetId === null) {
          // Even the line's queue refused: leave it to the portal's own timer rather than loop.
          await this.d.dialogs.update(upd, { state: 'portal', holder: 'none', operatorId: null }, now);
        } else this.kickDrain(memberId, row.lineId);
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
      this.kickDrain(row.memberId, row.lineId);
    }
  }

  private async passOnSec(memberId: string, lineId: number): Promise<number | null> {
    let rules = this.d.indexes.peek(memberId, lineId)?.rules;
    if (!rules) {
      const line = await this.d.lines.get(memberId, lineId);
      if (!line) return null;
      rules = rulesFor(line, await this.d.settings.line(memberId, lineId));
    }
    return rules.mode === 'all' ? null : rules.passOnAfterSec;
  }

  // ---------------------------------------------------------------- the waiting queue

  /**
   * Hands waiting dialogs to whoever can take them, line by line, in priority then arrival
   * order. One drain per portal at a time. `awaitTransfers` waits until the portal confirmed
   * them (jobs); events do not wait. `dryRun` decides on a copy and changes nothing.
   */
  drain(
    memberId: string,
    client: PortalClient,
    now: number,
    o: { lineIds?: number[]; awaitTransfers?: boolean; dryRun?: boolean } = {},
  ): Promise<DrainResult> {
    const prev = this.drainChains.get(memberId) ?? Promise.resolve();
    const run = prev.catch(() => undefined).then(() => this.drainNow(memberId, client, now, o));
    this.drainChains.set(memberId, run);
    void run.finally(() => {
      if (this.drainChains.get(memberId) === run) this.drainChains.delete(memberId);
    });
    return run;
  }

  private async drainNow(
    memberId: string,
    client: PortalClient,
    now: number,
    o: { lineIds?: number[]; awaitTransfers?: boolean; dryRun?: boolean },
  ): Promise<DrainResult> {
    const result: DrainResult = { assigned: 0, portal: 0, waiting: 0 };
    const done: Promise<void>[] = [];
    const lineIds = o.lineIds ?? (await this.d.dialogs.linesWithWaiting(memberId));
    for (const lineId of lineIds) {
      const rows = await this.d.dialogs.open(memberId, ['waiting'], lineId);
      if (rows.length === 0) continue;
      const idx = await this.d.indexes.get(memberId, lineId, client);
      if (!idx) {
        result.waiting += rows.length;
        continue;
      }
      const byId = new Map(rows.map((r) => [r.id, r]));
      const items = await Promise.all(rows.map((r) => this.itemFor(memberId, idx, r, client)));
      const dispatcher = o.dryRun ? dryRunCopy(idx.dispatcher, now) : idx.dispatcher;
      const res = dispatcher.drain(items, now);
      result.waiting += res.waiting.length;
      for (const d of res.decisions) {
        if (d.action === 'assign') result.assigned++;
        else result.portal++;
        if (o.dryRun) continue;
        const row = byId.get(Number(d.itemId))!;
        const r = await this.record(memberId, idx, row, d, now, { committed: true, logWait: false });
        if (r.done) done.push(r.done);
      }
    }
    if (o.awaitTransfers) await Promise.all(done);
    return result;
  }

  /** Drains soon (coalescing bursts of "someone freed up"), outside the caller's flow. */
  kickDrain(memberId: string, lineId?: number): void {
    if (this.stopped) return;
    const k = this.kicks.get(memberId);
    if (k) {
      if (lineId === undefined) k.lines = null;
      else k.lines?.add(lineId);
      return;
    }
    const entry = {
      lines: lineId === undefined ? null : new Set([lineId]),
      timer: setTimeout(async () => {
        this.kicks.delete(memberId);
        try {
          const client = await this.d.clients.get(memberId);
          await this.drain(memberId, client, this.d.clock(), {
            lineIds: entry.lines ? [...entry.lines] : undefined,
          });
        } catch (err) {
          this.d.log.warn(
            { memberId, err: (err as Error).message },
            'drain after a change failed; sync retries',
          );
        }
      }, 5),
    };
    entry.timer.unref?.();
    this.kicks.set(memberId, entry);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Waits for every transfer and drain in progress (tests, benchmarks, shutdown). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const busy = [...this.executing.values(), ...this.drainChains.values()];
      if (busy.length === 0 && this.kicks.size === 0) return this.stamps.flush();
      if (busy.length === 0) await new Promise((r) => setTimeout(r, 10));
      else await Promise.allSettled(busy);
    }
  }

  /** Stops retries and drains; writes the queue bookkeeping still in memory. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.stamps.flush();
    for (const k of this.kicks.values()) clearTimeout(k.timer);
    this.kicks.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const t of this.recoveries.values()) clearTimeout(t);
    this.recoveries.clear();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      t.unref?.();
      this.timers.add(t);
    });
  }
}

/** A line the app cannot read: the line's own queue is the safe place for the client. */
function unknownLine(itemId: Item['id']): Decision {
  return {
    action: 'portal_queue',
    itemId,
    reason: { rule: 'portal_queue', skipped: { at_capacity: [], unavailable: [] }, detail: 'unknown_line' },
  };
}

/**
 * A dispatcher to decide on without touching the line's own: a dry run commits each decision
 * to it, so that its later decisions see the places taken, as the real run's do.
 */
export function dryRunCopy(d: Dispatcher, now: number): Dispatcher {
  const states = d.rules.queue.map((m) => d.stateOf(m.id)).filter((s): s is OperatorState => !!s);
  return new Dispatcher(d.rules, states, now);
}
