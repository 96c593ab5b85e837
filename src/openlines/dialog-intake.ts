import type { CrmIds, DialogRepository } from '../db/repositories/dialogs.ts';
import type { Decision } from '../engine/index.ts';
import type { PortalClient } from '../portal/client.ts';
import { pendingFor } from './move-commands.ts';
import type { MoveOutcomes } from './move-outcomes.ts';
import type { MoveRunner } from './move-runner.ts';
import { type Placement, unknownLine } from './placement.ts';
import { type Author, lineIdFromUserCode, parseDialog } from './portal-adapter.ts';
import type { OpenLinesDeps } from './service-deps.ts';
import type { WaitingQueue } from './waiting-queue.ts';

/** A bot join, whichever bot API delivered it. */
export interface JoinInfo {
  chatId: number;
  /** null when the event does not carry it (v1): read with imopenlines.dialog.get */
  sessionId: number | null;
  userCode: string;
  /**
   * The CRM bindings; null = none. undefined = the event does not say (the v1 join's
   * CHAT_ENTITY_DATA_2 is not documented): read from imopenlines.dialog.get's entity_data_2.
   */
  crm: CrmIds | null | undefined;
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

/**
 * The events of a dialog the bot is in: its join (a new session to record, decide and hand
 * over, in that order, so that a crash or a re-run of the event finishes the same decision) and
 * its messages (who wrote last, whether the operator answered: what limits count).
 */
export class DialogIntake {
  constructor(
    private readonly d: OpenLinesDeps,
    private readonly placement: Placement,
    private readonly moves: MoveRunner,
    private readonly outcomes: MoveOutcomes,
    private readonly queue: WaitingQueue,
  ) {}

  /** The bot joined an open-line chat: a new session to record, decide and hand over. */
  async onJoin(memberId: string, j: JoinInfo, ev: EventMeta): Promise<void> {
    let { sessionId, userCode } = j;
    let crm = j.crm ?? null;
    // What the event did not carry comes from a documented source: imopenlines.dialog.get, whose
    // entity_data_1 holds the session id in its sixth place (imopenlines-session-history-get.md)
    // and entity_data_2 the CRM bindings (imopenlines-dialog-get.md).
    if (sessionId === null || !userCode || j.crm === undefined) {
      const facts = parseDialog(
        await (await ev.client()).call('imopenlines.dialog.get', { CHAT_ID: j.chatId }),
      );
      sessionId ??= facts?.sessionId ?? null;
      crm = j.crm ?? facts?.crm ?? null;
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
      let d: Decision = unknownLine(j.chatId);
      if (idx) {
        const item = await this.placement.itemFor(memberId, idx, { ...draft, id: 0, priority: 0 }, client);
        d = await this.d.indexes.decideOne(idx, item, now);
      }
      const pending =
        d.action === 'assign' || d.action === 'portal_queue'
          ? pendingFor(this.d.claims.owner, null, d, now)
          : null;
      const ins = await this.d.dialogs.insert({ ...draft, pending });
      if (ins.created) {
        if (pending) {
          this.outcomes.recordedHere(ins.row.id, pending.decidedAt);
          void this.moves.execute(memberId, ins.row.id, ins.row);
        } else await this.placement.record(memberId, idx, ins.row, d, now);
        return;
      }
      // Nothing written: the index must forget the assignment it counted, and the quota too.
      if (d.action === 'assign') {
        this.d.indexes.invalidate(memberId, lineId);
        await this.d.indexes.uncount(memberId, sessionId, d.operatorId, now);
      }
      if (ins.row) {
        // A re-run of the same event: finish what the first run started, decide nothing new.
        const row = ins.row;
        if (row.state === 'transferring') void this.moves.execute(memberId, row.id);
        else if (row.state === 'waiting' && row.version === 0)
          await this.placement.place(memberId, row, client, now);
        return;
      }
      // The chat still has an open row of an earlier session: that session is over.
      for (const old of await this.d.dialogs.openByChat(memberId, j.chatId)) {
        if (old.sessionId !== sessionId) await this.outcomes.close(old, now);
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
      if (freed) this.queue.kickDrain(memberId, row.lineId);
      return;
    }
  }
}
