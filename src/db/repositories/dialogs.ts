import type { OpenLoad } from '../../engine/index.ts';
import type { Store as Database, Queryable } from '../store.ts';

import type { DialogPatch, DialogRow, DialogState, NewDialog, PendingMove } from './dialog-types.ts';

export type {
  CrmIds,
  DialogHolder,
  DialogPatch,
  DialogRow,
  DialogState,
  NewDialog,
  PendingMove,
} from './dialog-types.ts';

const COLUMNS: Record<keyof DialogPatch, string> = {
  state: 'state',
  holder: 'holder',
  operatorId: 'operator_id',
  pending: 'pending',
  answered: 'answered',
  lastFrom: 'last_from',
  lastMessageId: 'last_message_id',
  round: 'round',
  assignedAt: 'assigned_at',
  passOnAt: 'pass_on_at',
  firstAssignedAt: 'first_assigned_at',
  closedAt: 'closed_at',
  crm: 'crm',
  sessionId: 'session_id',
  lineId: 'line_id',
};

function encode(key: keyof DialogPatch, v: unknown): string | number | null {
  if (v === undefined || v === null) return null;
  if (key === 'pending' || key === 'round' || key === 'crm') return JSON.stringify(v);
  if (key === 'answered') return v ? 1 : 0;
  return v as string | number;
}

export function toRow(r: any): DialogRow {
  return {
    id: r.id,
    memberId: r.member_id,
    chatId: r.chat_id,
    sessionId: r.session_id,
    lineId: r.line_id,
    userCode: r.user_code,
    crm: r.crm ? JSON.parse(r.crm) : null,
    state: r.state,
    holder: r.holder,
    operatorId: r.operator_id,
    pending: r.pending ? JSON.parse(r.pending) : null,
    answered: r.answered === 1,
    lastFrom: r.last_from,
    lastMessageId: r.last_message_id,
    priority: r.priority,
    round: r.round ? JSON.parse(r.round) : [],
    arrivedAt: r.arrived_at,
    assignedAt: r.assigned_at,
    passOnAt: r.pass_on_at,
    firstAssignedAt: r.first_assigned_at,
    eventId: r.event_id,
    checkedAt: r.checked_at,
    unreadableSince: r.unreadable_since ?? null,
    unreadableChecks: r.unreadable_checks ?? 0,
    version: r.version,
    updatedAt: r.updated_at,
    closedAt: r.closed_at,
  };
}

/** A register row as the repositories read it (the one-owner lookups read ol_dialogs too). */
export const dialogRowOf = toRow;

/** Open = every state but closed: the register's view of dialogs that still need someone. */
const OPEN = "state != 'closed'";

/**
 * The dialog register: the app's own record of open-line sessions (the portal offers no list of
 * open dialogs per operator). It is where load is counted, where waiting dialogs wait, and where
 * a decision is written before the portal is asked to carry it out.
 */
export class DialogRepository {
  constructor(private readonly db: Database) {}

  /**
   * Records a session the bot joined, with its decision when there is one already. Returns the
   * new row; or, when nothing was inserted, the row of that session if it exists (a re-run)
   * or else undefined: the chat still has an open row of an earlier session.
   */
  async insert(
    d: NewDialog,
  ): Promise<{ row: DialogRow; created: boolean } | { row: undefined; created: false }> {
    const inserted = await this.db.all<any>(
      `INSERT INTO ol_dialogs (member_id, chat_id, session_id, line_id, user_code, crm, state, holder,
         pending, priority, arrived_at, event_id, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'bot', ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *`,
      [
        d.memberId,
        d.chatId,
        d.sessionId,
        d.lineId,
        d.userCode,
        d.crm ? JSON.stringify(d.crm) : null,
        d.pending ? 'transferring' : 'waiting',
        d.pending ? JSON.stringify(d.pending) : null,
        d.priority ?? 0,
        d.arrivedAt,
        d.eventId,
        d.now,
      ],
    );
    if (inserted[0]) return { row: toRow(inserted[0]), created: true };
    const row = await this.findBySession(d.memberId, d.chatId, d.sessionId);
    return row ? { row, created: false } : { row: undefined, created: false };
  }

  async get(id: number): Promise<DialogRow | undefined> {
    const r = await this.db.get<any>('SELECT * FROM ol_dialogs WHERE id = ?', [id]);
    return r ? toRow(r) : undefined;
  }

  async findBySession(memberId: string, chatId: number, sessionId: number): Promise<DialogRow | undefined> {
    const r = await this.db.get<any>(
      'SELECT * FROM ol_dialogs WHERE member_id = ? AND chat_id = ? AND session_id = ?',
      [memberId, chatId, sessionId],
    );
    return r ? toRow(r) : undefined;
  }

  /** The chat's open rows (normally at most one), oldest first. */
  async openByChat(memberId: string, chatId: number): Promise<DialogRow[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM ol_dialogs WHERE member_id = ? AND chat_id = ? AND ${OPEN} ORDER BY id`,
      [memberId, chatId],
    );
    return rows.map(toRow);
  }

  /**
   * Compare-and-set: applies `patch` only if the row is still at `version`. Returns the new
   * row, or undefined when someone else moved it first.
   */
  async update(row: Pick<DialogRow, 'id' | 'version'>, patch: DialogPatch, now: number) {
    const keys = Object.keys(patch) as (keyof DialogPatch)[];
    const sets = keys.map((k) => `${COLUMNS[k]} = ?`);
    const params = keys.map((k) => encode(k, patch[k]));
    // The first answer the register learns of, by whichever step notices it (the page's chart).
    if (patch.answered === true) {
      sets.push('first_answered_at = COALESCE(first_answered_at, ?)');
      params.push(now);
    }
    const r = await this.db.all<any>(
      `UPDATE ol_dialogs SET ${[...sets, 'version = version + 1', 'updated_at = ?'].join(', ')}
       WHERE id = ? AND version = ? RETURNING *`,
      [...params, now, row.id, row.version],
    );
    return r[0] ? toRow(r[0]) : undefined;
  }

  /**
   * Compare-and-set of several rows' recorded moves in one transaction (one commit for a whole
   * write batch): each applies only if its row is still at `version`. Returns which did.
   */
  async setPendingMany(
    updates: { id: number; version: number; pending: PendingMove }[],
    now: number,
  ): Promise<boolean[]> {
    if (updates.length === 0) return [];
    return this.db.transaction(async (tx) => {
      const out: boolean[] = [];
      for (const u of updates) {
        const r = await tx.run(
          `UPDATE ol_dialogs SET pending = ?, version = version + 1, updated_at = ?
           WHERE id = ? AND version = ? AND state = 'transferring'`,
          [JSON.stringify(u.pending), now, u.id, u.version],
        );
        out.push(r.changes === 1);
      }
      return out;
    });
  }

  /** Several rows by id (those that exist). */
  async getMany(ids: number[]): Promise<DialogRow[]> {
    const out: DialogRow[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = await this.db.all<any>(
        `SELECT * FROM ol_dialogs WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        chunk,
      );
      out.push(...rows.map(toRow));
    }
    return out;
  }

  /** Open rows of a portal in some states (all open states when omitted). */
  async open(memberId: string, states?: DialogState[], lineId?: number): Promise<DialogRow[]> {
    const where = ['member_id = ?', OPEN];
    const params: (string | number)[] = [memberId];
    if (states) {
      where.push(`state IN (${states.map(() => '?').join(', ')})`);
      params.push(...states);
    }
    if (lineId !== undefined) {
      where.push('line_id = ?');
      params.push(lineId);
    }
    const rows = await this.db.all<any>(
      `SELECT * FROM ol_dialogs WHERE ${where.join(' AND ')} ORDER BY id`,
      params,
    );
    return rows.map(toRow);
  }

  /**
   * Records that these rows were read from the portal (not a move: the version stays); a read
   * that worked ends an unreadable streak.
   */
  async markChecked(ids: number[], now: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await this.db.run(
        `UPDATE ol_dialogs SET checked_at = ?, unreadable_since = NULL, unreadable_checks = 0
         WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        [now, ...chunk],
      );
    }
  }

  /**
   * Records that the portal refused to show these rows (ACCESS_ERROR): the streak starts or
   * grows; the row itself (state, holder, load) stays as it was. Not a move: the version stays.
   */
  async markUnreadable(ids: number[], now: number): Promise<void> {
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      await this.db.run(
        `UPDATE ol_dialogs SET checked_at = ?, unreadable_since = COALESCE(unreadable_since, ?),
           unreadable_checks = unreadable_checks + 1
         WHERE id IN (${chunk.map(() => '?').join(', ')})`,
        [now, now, ...chunk],
      );
    }
  }

  /** A portal's open rows the portal refuses to show, oldest streak first (the dashboard lists them). */
  async unreadable(memberId: string): Promise<DialogRow[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM ol_dialogs WHERE member_id = ? AND ${OPEN} AND unreadable_since IS NOT NULL
       ORDER BY unreadable_since, id`,
      [memberId],
    );
    return rows.map(toRow);
  }

  /** Lines that have dialogs waiting for an operator. */
  async linesWithWaiting(memberId: string): Promise<number[]> {
    const rows = await this.db.all<{ line_id: number }>(
      `SELECT DISTINCT line_id FROM ol_dialogs WHERE member_id = ? AND state = 'waiting'`,
      [memberId],
    );
    return rows.map((r) => r.line_id);
  }

  /** Portals with rows the portal has not confirmed yet (recovery after a crash). */
  async portalsWithPending(): Promise<string[]> {
    const rows = await this.db.all<{ member_id: string }>(
      `SELECT DISTINCT member_id FROM ol_dialogs WHERE state = 'transferring'`,
    );
    return rows.map((r) => r.member_id);
  }

  /** Assigned, unanswered dialogs whose pass-on check is due. */
  async dueForPassOn(memberId: string, now: number): Promise<DialogRow[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM ol_dialogs WHERE member_id = ? AND state = 'assigned' AND answered = 0
         AND pass_on_at IS NOT NULL AND pass_on_at <= ? ORDER BY pass_on_at, id`,
      [memberId, now],
    );
    return rows.map(toRow);
  }

  /**
   * Each operator's open dialogs on a line by who wrote last (the engine's OpenLoad). A dialog
   * counts for whoever holds it or is getting it: transferring counts for its target.
   */
  async loads(memberId: string, lineId: number, q: Queryable = this.db): Promise<Map<number, OpenLoad>> {
    const rows = await q.all<{ op: number; answered: number; last_from: string | null; n: number }>(
      `SELECT COALESCE(CASE WHEN state = 'transferring' THEN ${this.db.dialect.jsonInt('pending', 'targetId')} END, operator_id) AS op,
              CASE WHEN state = 'transferring' THEN 0 ELSE answered END AS answered,
              last_from, COUNT(*) AS n
       FROM ol_dialogs
       WHERE member_id = ? AND line_id = ? AND state IN ('transferring', 'assigned', 'portal')
       GROUP BY 1, 2, 3`,
      [memberId, lineId],
    );
    const out = new Map<number, OpenLoad>();
    for (const r of rows) {
      if (r.op === null || r.op === undefined) continue;
      const load = out.get(r.op) ?? { notAnswered: 0, clientLast: 0, operatorLast: 0 };
      if (!r.answered) load.notAnswered += r.n;
      else if (r.last_from === 'operator') load.operatorLast += r.n;
      else load.clientLast += r.n;
      out.set(r.op, load);
    }
    return out;
  }

  /**
   * Who the app gave (or is giving) the client's open dialog to: the operator of an assigned
   * dialog, or the target of a transfer under way. Null when it waits or went to the portal.
   */
  async assignedOperator(memberId: string, userCode: string): Promise<number | null> {
    const r = await this.db.get<{ state: string; operator_id: number | null; pending: string | null }>(
      `SELECT state, operator_id, pending FROM ol_dialogs WHERE member_id = ? AND user_code = ?
         AND state IN ('assigned', 'transferring') ORDER BY id DESC LIMIT 1`,
      [memberId, userCode],
    );
    if (!r) return null;
    if (r.state === 'assigned') return r.operator_id;
    const pending = r.pending ? (JSON.parse(r.pending) as PendingMove) : null;
    return pending?.targetId ?? null;
  }

  /** Where the client's latest dialog stands, for a lead created from it. */
  async stateByUserCode(memberId: string, userCode: string): Promise<'placing' | 'placed' | 'unknown'> {
    const r = await this.db.get<{ state: string; pending: string | null }>(
      'SELECT state, pending FROM ol_dialogs WHERE member_id = ? AND user_code = ? ORDER BY id DESC LIMIT 1',
      [memberId, userCode],
    );
    if (!r) return 'unknown';
    if (r.state === 'waiting') return 'placing';
    if (r.state === 'transferring') return 'placing';
    return 'placed';
  }

  /** The operator of the client's most recent earlier dialog (the sticky rule). */
  async previousOperator(memberId: string, userCode: string, beforeId: number): Promise<number | null> {
    const r = await this.db.get<{ operator_id: number }>(
      `SELECT operator_id FROM ol_dialogs WHERE member_id = ? AND user_code = ? AND id < ?
         AND operator_id IS NOT NULL ORDER BY id DESC LIMIT 1`,
      [memberId, userCode, beforeId],
    );
    return r?.operator_id ?? null;
  }

  /** Counts by state, for summaries and the dashboard. */
  async countByState(memberId: string): Promise<Record<DialogState, number>> {
    const rows = await this.db.all<{ state: DialogState; n: number }>(
      'SELECT state, COUNT(*) AS n FROM ol_dialogs WHERE member_id = ? GROUP BY state',
      [memberId],
    );
    const out = { waiting: 0, transferring: 0, assigned: 0, portal: 0, closed: 0 };
    for (const r of rows) out[r.state] = r.n;
    return out;
  }
}
