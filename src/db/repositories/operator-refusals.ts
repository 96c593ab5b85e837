import type { Store as Database } from '../store.ts';

export interface OperatorRefusal {
  operatorId: number;
  until: number;
  error: string;
  at: number;
}

/** Operators the portal refused as transfer targets, and until when the app leaves them out. */
export class OperatorRefusalRepository {
  constructor(private readonly db: Database) {}

  /** Records (or extends) a refusal. */
  async refuse(memberId: string, r: OperatorRefusal): Promise<void> {
    await this.db.run(
      `INSERT INTO operator_refusals (member_id, operator_id, until, error, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (member_id, operator_id) DO UPDATE
         SET until = excluded.until, error = excluded.error, at = excluded.at`,
      [memberId, r.operatorId, r.until, r.error, r.at],
    );
  }

  /** Refusals still in force at `now`. */
  async active(memberId: string, now: number): Promise<OperatorRefusal[]> {
    const rows = await this.db.all<{ operator_id: number; until: number; error: string; at: number }>(
      'SELECT operator_id, until, error, at FROM operator_refusals WHERE member_id = ? AND until > ?',
      [memberId, now],
    );
    return rows.map((r) => ({ operatorId: r.operator_id, until: r.until, error: r.error, at: r.at }));
  }
}
