import type { Store as Database } from '../store.ts';

/** Where the lead sync's reads of "what changed" start (src/crm/lead-sync-reads.ts). */
export interface LeadSyncMark {
  /** the queue members and open statuses this mark was read for; another scope reads everything again */
  scope: string;
  /** the portal's updatedTime of the newest change seen, as the portal wrote it; null = none yet */
  since: string | null;
  /** unix ms of the last full read */
  fullAt: number;
}

/** The deal sync keeps its own marks (110_deals.sql's register, 111_deal_sync.sql's marks). */
export const DEAL_SYNC_MARKS = 'deal_sync_marks';

/** One row per portal: the lead sync's mark, in the store so every process continues from it. */
export class LeadSyncMarkRepository {
  constructor(
    private readonly db: Database,
    private readonly table: 'lead_sync_marks' | typeof DEAL_SYNC_MARKS = 'lead_sync_marks',
  ) {}

  async get(memberId: string): Promise<LeadSyncMark | undefined> {
    const r = await this.db.get<{ scope: string; since: string | null; full_at: number }>(
      `SELECT scope, since, full_at FROM ${this.table} WHERE member_id = ?`,
      [memberId],
    );
    return r ? { scope: r.scope, since: r.since, fullAt: Number(r.full_at) } : undefined;
  }

  async save(memberId: string, m: LeadSyncMark, at: number): Promise<void> {
    await this.db.run(
      `INSERT INTO ${this.table} (member_id, scope, since, full_at, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (member_id) DO UPDATE SET scope = excluded.scope, since = excluded.since,
         full_at = excluded.full_at, updated_at = excluded.updated_at`,
      [memberId, m.scope, m.since, m.fullAt, at],
    );
  }
}
