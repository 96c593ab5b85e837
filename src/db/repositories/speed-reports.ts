import { toBreach } from './first-touch.ts';
import type { Store as Database } from '../store.ts';

/** A lead whose holder made first contact. */
export interface TouchRow {
  queueId: string | null;
  holderId: number;
  arrivedAt: number;
  assignedAt: number;
  touchedAt: number;
}

/** A missed first-touch deadline, with the assignment log's words for it. */
export interface BreachReportRow {
  objectId: string;
  breachNo: number;
  queueId: string | null;
  holderId: number;
  action: 'reassign' | 'notify';
  newHolderId: number | null;
  supervisorId: number | null;
  waitedMs: number;
  at: number;
  reason: unknown;
}

/** What the speed-to-lead report reads (first_touch_watch, first_touch_breach, assignment_log). */
export class SpeedReportRepository {
  constructor(private readonly db: Database) {}

  /** First contacts made since `since` (touched_at), one per lead. */
  async touches(memberId: string, since: number): Promise<TouchRow[]> {
    const rows = await this.db.all<any>(
      `SELECT queue_id, touched_by, holder_id, arrived_at, assigned_at, touched_at FROM first_touch_watch
       WHERE member_id = ? AND kind = 'lead' AND touched_at IS NOT NULL AND touched_at >= ?`,
      [memberId, since],
    );
    return rows.map((r) => ({
      queueId: r.queue_id,
      holderId: r.touched_by ?? r.holder_id,
      arrivedAt: r.arrived_at,
      assignedAt: r.assigned_at,
      touchedAt: r.touched_at,
    }));
  }

  /** Breaches since `since`, newest first, each with its log entry's reason (words in both languages). */
  async breaches(memberId: string, since: number, limit = 1000): Promise<BreachReportRow[]> {
    const rows = await this.db.all<any>(
      `SELECT b.*, (SELECT l.reason FROM assignment_log l
                      WHERE l.member_id = b.member_id AND l.kind = 'lead' AND l.object_id = b.object_id
                        AND l.action = 'breach' AND l.created_at = b.at ORDER BY l.id DESC LIMIT 1) AS reason
       FROM first_touch_breach b WHERE b.member_id = ? AND b.kind = 'lead' AND b.at >= ?
       ORDER BY b.at DESC, b.object_id LIMIT ?`,
      [memberId, since, limit],
    );
    return rows.map((r) => toReportRow(r, r.reason));
  }

  /**
   * Chats' missed first-message deadlines since `since` (kind 'dialog', object `<chatId>:<sessionId>`),
   * newest first, each with its log entry's reason (words in both languages).
   */
  async chatBreaches(
    memberId: string,
    since: number,
    limit = 1000,
  ): Promise<(BreachReportRow & { chatId: number })[]> {
    const [rows, logs] = await Promise.all([
      this.db.all<any>(
        `SELECT * FROM first_touch_breach WHERE member_id = ? AND kind = 'dialog' AND at >= ?
         ORDER BY at DESC, object_id LIMIT ?`,
        [memberId, since, limit],
      ),
      this.db.all<any>(
        `SELECT object_id, created_at, reason FROM assignment_log
         WHERE member_id = ? AND kind = 'dialog' AND action = 'breach' AND created_at >= ?`,
        [memberId, since],
      ),
    ]);
    const reasons = new Map(logs.map((l) => [`${l.object_id}@${l.created_at}`, l.reason]));
    return rows.map((r) => {
      const chatId = Number(String(r.object_id).split(':')[0]);
      return { chatId, ...toReportRow(r, reasons.get(`${chatId}@${r.at}`)) };
    });
  }
}

/** A breach row with its log entry's reason (stored as JSON). */
function toReportRow(r: any, reason: unknown): BreachReportRow {
  const { memberId: _m, written: _w, ...row } = toBreach(r);
  return { ...row, reason: reason == null ? null : typeof reason === 'string' ? JSON.parse(reason) : reason };
}
