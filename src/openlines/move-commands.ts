import type { DialogRow, PendingMove } from '../db/repositories/dialogs.ts';
import type { Decision } from '../engine/index.ts';

/*
 * What a dialog's move is on the wire: which method, with which parameters. A move is recorded
 * in the register (PendingMove) before it is sent, so everything needed to send it again after
 * a crash is here, computed from the row and its recorded move alone.
 */

export const BOT_TRANSFER = 'imopenlines.bot.session.transfer';
export const OPERATOR_TRANSFER = 'imopenlines.operator.transfer';
export const BOT_TO_QUEUE = 'imopenlines.bot.session.operator';

/**
 * What carrying a decision out takes: from the bot (`holder` null) the bot methods, from an
 * operator imopenlines.operator.transfer; to a user, or to the line's own queue. `owner` is the
 * process recording it (MoveClaims.owner).
 */
export function pendingFor(
  owner: string,
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
      owner,
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
    owner,
    sentAt: null,
  };
}

/** The REST call that carries a recorded move out. */
export function commandFor(
  row: DialogRow,
  p: PendingMove,
): { method: string; params: Record<string, unknown> } {
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
