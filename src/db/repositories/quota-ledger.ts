import type { Store as Database, Queryable } from '../store.ts';

/**
 * Items the app gave to each operator, with when (migration 100): a quota's count is how many
 * an operator got since their period began, read at each decision from here, so every process
 * counts the same and a reset is only the period's start moving on.
 */
export class QuotaLedgerRepository {
  constructor(private readonly db: Database) {}

  /** Records that `operatorId` got the item (again: counted once). */
  async record(e: QuotaEntry): Promise<void> {
    await recordQuota(this.db, e);
  }

  /** Each operator's count since their own period start. */
  async counts(
    memberId: string,
    kind: 'lead' | 'dialog',
    since: ReadonlyMap<number, number>,
  ): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (since.size === 0) return out;
    const ids = [...since.keys()];
    const earliest = Math.min(...since.values());
    const rows = await this.db.all<{ operator_id: number; at: number }>(
      `SELECT operator_id, at FROM quota_ledger
       WHERE member_id = ? AND kind = ? AND operator_id IN (${ids.map(() => '?').join(', ')}) AND at >= ?`,
      [memberId, kind, ...ids, earliest],
    );
    for (const r of rows) {
      if (r.at >= (since.get(r.operator_id) ?? Number.POSITIVE_INFINITY))
        out.set(r.operator_id, (out.get(r.operator_id) ?? 0) + 1);
    }
    return out;
  }
}

export interface QuotaEntry {
  memberId: string;
  kind: 'lead' | 'dialog';
  objectId: string;
  operatorId: number;
  at: number;
}

/** The ledger insert, on the database or inside a caller's transaction (a breach's reassignment). */
export async function recordQuota(q: Queryable, e: QuotaEntry): Promise<void> {
  await q.run(
    `INSERT INTO quota_ledger (member_id, kind, object_id, operator_id, at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (member_id, kind, object_id, operator_id) DO NOTHING`,
    [e.memberId, e.kind, e.objectId, e.operatorId, e.at],
  );
}
