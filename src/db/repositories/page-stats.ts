import type { Store as Database } from '../store.ts';

const HOUR = 3_600_000;

/**
 * What the page's charts read: assignments per hour and operator (the assignment log), the
 * waiting queue's length over time (sampled once a minute into waiting_samples), and each
 * dialog's wait for its first answer (the dialog register).
 */
export class PageStatsRepository {
  constructor(private readonly db: Database) {}

  /** The waiting queue right now, from the registers (no portal call). */
  async waitingNow(memberId: string): Promise<{ dialogs: number; leads: number }> {
    const r = await this.db.get<{ dialogs: number; leads: number }>(
      `SELECT (SELECT COUNT(*) FROM ol_dialogs WHERE member_id = ? AND state = 'waiting') AS dialogs,
              (SELECT COUNT(*) FROM leads WHERE member_id = ? AND phase = 'waiting') AS leads`,
      [memberId, memberId],
    );
    return { dialogs: Number(r?.dialogs ?? 0), leads: Number(r?.leads ?? 0) };
  }

  /** One sample per portal and minute: the first process to write it wins, so none is doubled. */
  async recordWaiting(memberId: string, at: number, dialogs: number, leads: number): Promise<void> {
    await this.db.run(
      'INSERT INTO waiting_samples (member_id, at, dialogs, leads) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
      [memberId, at, dialogs, leads],
    );
  }

  async waitingSeries(memberId: string, from: number, to: number) {
    return this.db.all<{ at: number; dialogs: number; leads: number }>(
      'SELECT at, dialogs, leads FROM waiting_samples WHERE member_id = ? AND at >= ? AND at < ? ORDER BY at',
      [memberId, from, to],
    );
  }

  async pruneWaiting(before: number): Promise<number> {
    return (await this.db.run('DELETE FROM waiting_samples WHERE at < ?', [before])).changes;
  }

  /** Assignments (new, passed on, returned, reclaimed) per operator and hour since `from`, hours counted from `from`. */
  async assignmentsPerHour(memberId: string, from: number, to: number) {
    return this.db.all<{ hour: number; operatorId: number; n: number }>(
      `SELECT (created_at - CAST(? AS BIGINT)) / ${HOUR} AS hour, operator_id AS "operatorId", COUNT(*) AS n
       FROM assignment_log
       WHERE member_id = ? AND created_at >= ? AND created_at < ? AND operator_id IS NOT NULL
         AND action IN ('assign', 'pass_on', 'return', 'reclaim')
       GROUP BY 1, 2 ORDER BY 1`,
      [from, memberId, from, to],
    );
  }

  /** Seconds from arrival to the first answer, per line, of dialogs that arrived in the range and were answered. */
  async firstAnswerWaits(memberId: string, from: number, to: number) {
    return this.db.all<{ lineId: number; waitMs: number }>(
      `SELECT line_id AS "lineId", first_answered_at - arrived_at AS "waitMs" FROM ol_dialogs
       WHERE member_id = ? AND arrived_at >= ? AND arrived_at < ? AND first_answered_at IS NOT NULL
       ORDER BY line_id, 2`,
      [memberId, from, to],
    );
  }
}
