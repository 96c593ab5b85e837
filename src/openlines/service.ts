import type { DialogRow } from '../db/repositories/dialogs.ts';
import type { OpenLoad, Reason } from '../engine/index.ts';
import type { PortalClient } from '../portal/client.ts';
import type { Cover } from '../absence/cover.ts';
import { ensureOpenlineBot } from './bot-setup.ts';
import { type DialogHandover, handOverDialogs } from './handover-moves.ts';
import { DialogIntake } from './dialog-intake.ts';
import type { LineInfo } from './lines.ts';
import { MoveOutcomes, storedBotId } from './move-outcomes.ts';
import { MoveRunner } from './move-runner.ts';
import { Placement } from './placement.ts';
import type { OpenLinesDeps } from './service-deps.ts';
import { WaitingQueue } from './waiting-queue.ts';

/**
 * Open-line dialogs from the bot's join to an operator: the register, the decision (the
 * engine), and the portal write, in an order that survives a crash at any point. A decision
 * is written to the register (state 'transferring', with everything needed to finish it)
 * before the portal is asked; finishing it is idempotent (a repeated transfer is recognised
 * by who holds the chat), and every move of a row is a compare-and-set on its version, so a
 * dialog is never moved twice nor counted twice.
 *
 * This class builds the parts and answers the read side; the work is in the parts:
 * - `intake`    the bot's join and the messages of its chats (dialog-intake.ts)
 * - `placement` the engine's item for a row, the decision, recording it (placement.ts)
 * - `moves`     sending recorded moves, reading back, retries, recovery (move-runner.ts)
 * - `outcomes`  what an answer means for the row: confirm, reconcile, close (move-outcomes.ts)
 * - `queue`     the dialogs waiting for someone to free up: drain and its kicks (waiting-queue.ts)
 */
export class OpenLinesService {
  readonly intake: DialogIntake;
  readonly placement: Placement;
  readonly moves: MoveRunner;
  readonly outcomes: MoveOutcomes;
  readonly queue: WaitingQueue;

  constructor(readonly d: OpenLinesDeps) {
    // A confirmed move or a close may free a place: the waiting queue (built below) drains.
    this.outcomes = new MoveOutcomes(d, (memberId, lineId) => this.queue.kickDrain(memberId, lineId));
    this.moves = new MoveRunner(d, this.outcomes);
    this.placement = new Placement(d, this.moves, this.outcomes);
    this.queue = new WaitingQueue(d, this.placement);
    this.intake = new DialogIntake(d, this.placement, this.moves, this.outcomes, this.queue);
  }

  // ---------------------------------------------------------------- bot

  /** The portal's open-line bot, found or registered (bot-setup.ts). */
  ensureBot(memberId: string, client: PortalClient): Promise<number> {
    return ensureOpenlineBot(this.d, memberId, client);
  }

  botId(memberId: string): Promise<number | null> {
    return storedBotId(this.d, memberId);
  }

  async onBotDeleted(memberId: string, botId: number | null): Promise<void> {
    await this.d.repo.forgetBot(memberId, botId ?? undefined);
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

  /** Open dialogs the portal refuses to show (ACCESS_ERROR), oldest first (unreadable.ts). */
  unreadable(memberId: string): Promise<DialogRow[]> {
    return this.d.dialogs.unreadable(memberId);
  }

  /** For the lead handler: the operator the app gave this client's open dialog to (DialogLookup). */
  assignedOperator(memberId: string, userCode: string): Promise<number | null> {
    return this.d.dialogs.assignedOperator(memberId, userCode);
  }

  /** For the lead handler: whether the client's dialog is still being placed (DialogLookup). */
  dialogState(memberId: string, userCode: string): Promise<'placing' | 'placed' | 'unknown'> {
    return this.d.dialogs.stateByUserCode(memberId, userCode);
  }

  // ---------------------------------------------------------------- moves asked for by others

  /**
   * Moves the open dialog of `chatId` to `operatorId` (the one-owner policy, an absence's
   * handover): recorded in the register before it is sent, like every move, without the queue's
   * bookkeeping (it is nobody's turn). A dialog on its way somewhere, waiting, or closed is not
   * moved.
   */
  async moveChat(
    memberId: string,
    chatId: number,
    operatorId: number,
    o: { logAction: 'follow' | 'handover'; reason: unknown },
  ): Promise<'recorded' | 'already' | 'not_open'> {
    const [row] = (await this.d.dialogs.openByChat(memberId, chatId)).filter(
      (r) => r.state === 'assigned' || r.state === 'portal',
    );
    if (!row) return 'not_open';
    if (row.holder === 'operator' && row.operatorId === operatorId) return 'already';
    const now = this.d.clock();
    const decision = {
      action: 'assign' as const,
      itemId: row.id,
      operatorId,
      stamp: now,
      reason: o.reason as Reason,
    };
    const r = await this.placement.record(memberId, undefined, row, decision, now, {
      logAction: o.logAction,
    });
    return r.action === 'conflict' ? 'not_open' : 'recorded';
  }

  /** An absence starts: the absent person's unanswered dialogs to their deputy or back to distribution. */
  handOverDialogs(
    memberId: string,
    client: PortalClient,
    userId: number,
    o: { deputy: number | null; cover: Cover },
  ): Promise<DialogHandover> {
    return handOverDialogs(this, memberId, client, userId, o);
  }

  // ---------------------------------------------------------------- lifecycle

  /** Waits for every transfer and drain in progress (tests, benchmarks, shutdown). */
  async idle(): Promise<void> {
    for (let i = 0; i < 100; i++) {
      const drains = this.queue.inFlight();
      const busy = [...this.moves.inFlight(), ...drains.running];
      if (busy.length === 0 && !drains.kicked) return;
      if (busy.length === 0) await new Promise((r) => setTimeout(r, 10));
      else await Promise.allSettled(busy);
    }
  }

  /** Stops retries and drains (the queue bookkeeping is written in each decision's turn). */
  async stop(): Promise<void> {
    this.queue.stop();
    this.moves.stop();
  }
}
