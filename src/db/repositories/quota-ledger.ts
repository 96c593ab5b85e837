import type { Store as Database, Queryable } from '../store.ts';

/** What a quota counts: leads, deals and dialogs each on their own (migrations 100, 160). */
export type QuotaKind = 'lead' | 'deal' | 'dialog';

/**
 * Items the app gave to each operator, with when (migrations 100, 160): a quota's count is how
 * many an operator got since their period began, read at each decision from here, so every
 * process counts the same and a reset is only the period's start moving on.
 */
export class QuotaLedgerRepository {
  constructor(private readonly db: Database) {}

  /** Records that `operatorId` got the item (again: counted once). */
  async record(e: QuotaEntry): Promise<void> {
    await recordQuota(this.db, e);
  }

  /**
   * Takes back an item counted for `operatorId` at or after `since` (a transfer the portal
   * refused: they never got it). An earlier count of the same item stays.
   */
  async forget(memberId: string, kind: QuotaKind, objectId: string, operatorId: number, since: number) {
    await this.db.run(
      `DELETE FROM quota_ledger
       WHERE member_id = ? AND kind = ? AND object_id = ? AND operator_id = ? AND at >= ?`,
      [memberId, kind, objectId, operatorId, since],
    );
  }

  /**
   * Each operator's count since their own period start; `queueId` counts one queue's items only
   * (a line's dialogs). `q`: inside a caller's transaction (a queue's turn).
   */
  async counts(
    memberId: string,
    kind: QuotaKind,
    since: ReadonlyMap<number, number>,
    o: { queueId?: string; q?: Queryable } = {},
  ): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (since.size === 0) return out;
    const ids = [...since.keys()];
    const earliest = Math.min(...since.values());
    const byQueue = o.queueId === undefined ? '' : ' AND queue_id = ?';
    const rows = await (o.q ?? this.db).all<{ operator_id: number; at: number }>(
      `SELECT operator_id, at FROM quota_ledger
       WHERE member_id = ? AND kind = ? AND operator_id IN (${ids.map(() => '?').join(', ')}) AND at >= ?${byQueue}`,
      [memberId, kind, ...ids, earliest, ...(o.queueId === undefined ? [] : [o.queueId])],
    );
    for (const r of rows) {
      const id = Number(r.operator_id);
      if (Number(r.at) >= (since.get(id) ?? Number.POSITIVE_INFINITY)) out.set(id, (out.get(id) ?? 0) + 1);
    }
    return out;
  }
}

export interface QuotaEntry {
  memberId: string;
  kind: QuotaKind;
  objectId: string;
  operatorId: number;
  at: number;
  /** the queue it went to (a line's dialogs are counted per line) */
  queueId?: string | null;
}

/** The ledger insert, on the database or inside a caller's transaction (a breach's reassignment, a queue's turn). */
export async function recordQuota(q: Queryable, e: QuotaEntry): Promise<void> {
  await q.run(
    `INSERT INTO quota_ledger (member_id, kind, object_id, operator_id, at, queue_id) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (member_id, kind, object_id, operator_id) DO NOTHING`,
    [e.memberId, e.kind, e.objectId, e.operatorId, e.at, e.queueId ?? null],
  );
}
