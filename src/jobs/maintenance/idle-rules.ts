import type { DialogRow } from '../../db/repositories/dialogs.ts';
import type { IdleFacts, IdleRule } from '../../db/repositories/maintenance.ts';
import { toInt, yes } from '../../operators/parse.ts';
import type { IdleSettings } from '../../settings/schema.ts';

export const DAY_MS = 86_400_000;

/**
 * How far before the register's arrival time a session may have started: the client's first
 * message comes before the bot's join is received, and message dates have whole seconds. Only
 * widens the set of dialogs whose history is read; the rules themselves use the history.
 */
export const CANDIDATE_SLACK_MS = 3600_000;

/** What close-idle needs from one session's imopenlines.session.history.get. */
export interface IdleHistory {
  /** the newest message id of the session (system messages included) */
  lastMessageId: number;
  /** a staff member (not the client, a bot or the system) wrote in the session */
  operatorWrote: boolean;
  /** who wrote the last client/staff message */
  lastFrom: 'client' | 'operator' | null;
  /** when, unix ms */
  lastAt: number | null;
  /** the session's first message, unix ms */
  firstAt: number | null;
}

/**
 * The same readings as the open-lines history parser (portal-adapter parseHistory): `senderid` 0
 * is the system; a sender whose `users[id].connector` is true is the client, one with `bot` true
 * is a bot; `date` is ISO 8601 with an offset. This one also keeps the dates the idle rules
 * measure from.
 */
export function readIdleHistory(raw: any): IdleHistory {
  const users = raw?.users && typeof raw.users === 'object' ? raw.users : {};
  const list = raw?.message && typeof raw.message === 'object' ? Object.values(raw.message) : [];
  const msgs = (list as any[])
    .map((m) => ({
      id: toInt(m?.id) ?? 0,
      sender: toInt(m?.senderid) ?? 0,
      date: Date.parse(String(m?.date ?? '')),
    }))
    .sort((a, b) => a.id - b.id);
  const out: IdleHistory = {
    lastMessageId: 0,
    operatorWrote: false,
    lastFrom: null,
    lastAt: null,
    firstAt: null,
  };
  for (const m of msgs) {
    out.lastMessageId = Math.max(out.lastMessageId, m.id);
    const at = Number.isNaN(m.date) ? null : m.date;
    if (at !== null && (out.firstAt === null || at < out.firstAt)) out.firstAt = at;
    if (m.sender <= 0) continue;
    const u = users[String(m.sender)];
    if (yes(u?.bot)) continue;
    out.lastFrom = yes(u?.connector) ? 'client' : 'operator';
    if (out.lastFrom === 'operator') out.operatorWrote = true;
    out.lastAt = at;
  }
  return out;
}

/** Accepted = an operator holds it at the portal (not waiting in a queue, not with the bot). */
export function isAccepted(row: Pick<DialogRow, 'state' | 'holder' | 'operatorId'>): boolean {
  return (
    (row.state === 'assigned' || row.state === 'portal') && row.holder === 'operator' && !!row.operatorId
  );
}

export interface IdleVerdict {
  rule: IdleRule;
  /** the instant the idle time is measured from, unix ms */
  since: number;
  thresholdDays: number;
}

/**
 * Whether a dialog is to be closed at `now`:
 * - no_operator_answer: its session started at least `noOperatorAnswerDays` ago and no staff
 *   member has written in it;
 * - no_client_reply: an operator holds it, the last message is the operator's, and it is at
 *   least `noClientReplyDays` old.
 * The session starts at its first message, or at the register's arrival if that is earlier.
 */
export function idleVerdict(
  row: Pick<DialogRow, 'state' | 'holder' | 'operatorId' | 'arrivedAt'>,
  h: IdleHistory,
  now: number,
  s: IdleSettings,
): IdleVerdict | null {
  if (!s.enabled) return null;
  const started = Math.min(row.arrivedAt, h.firstAt ?? Number.POSITIVE_INFINITY);
  if (!h.operatorWrote && now - started >= s.noOperatorAnswerDays * DAY_MS) {
    return { rule: 'no_operator_answer', since: started, thresholdDays: s.noOperatorAnswerDays };
  }
  if (
    isAccepted(row) &&
    h.lastFrom === 'operator' &&
    h.lastAt !== null &&
    now - h.lastAt >= s.noClientReplyDays * DAY_MS
  ) {
    return { rule: 'no_client_reply', since: h.lastAt, thresholdDays: s.noClientReplyDays };
  }
  return null;
}

/**
 * The earliest moment a rule could hold for the dialog, from the register (its arrival, its
 * state, the newest message it has seen) and what the history said last time. Never later than
 * the truth: a message the register has not seen can only move a rule later, except an operator
 * writing into a dialog nobody had answered or the client had the last word in, which is caught
 * by reading again `noClientReplyDays` after the last read. Infinity: no rule can hold until
 * the register changes (an operator wrote last, but nobody holds the dialog now).
 */
export function idleDueAt(
  row: Pick<DialogRow, 'arrivedAt' | 'lastMessageId' | 'state' | 'holder' | 'operatorId'>,
  facts: Pick<IdleFacts, 'lastMessageId' | 'operatorWrote' | 'lastFrom' | 'lastAt' | 'checkedAt'> | undefined,
  s: IdleSettings,
): number {
  const noAnswer = s.noOperatorAnswerDays * DAY_MS;
  const noReply = s.noClientReplyDays * DAY_MS;
  const start = row.arrivedAt - CANDIDATE_SLACK_MS;
  if (!facts || row.lastMessageId > facts.lastMessageId) return start + Math.min(noAnswer, noReply);
  if (!facts.operatorWrote) return Math.min(start + noAnswer, facts.checkedAt + noReply);
  if (facts.lastFrom === 'operator' && facts.lastAt !== null) {
    return isAccepted(row) ? facts.lastAt + noReply : Number.POSITIVE_INFINITY;
  }
  return facts.checkedAt + noReply;
}
