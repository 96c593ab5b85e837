import type { Store } from '../store.ts';
import type { StoreVersionRepository } from './store-versions.ts';

/** One user as some process last read them from the portal; `info` null: the portal has no such user. */
export interface SnapshotRow {
  userId: number;
  /** the directory's entry (OperatorInfo), as JSON-safe data */
  info: Record<string, unknown> | null;
  fetchedAt: number;
}

/** Rows per INSERT: far below either database's limit on bound parameters. */
const ROWS_PER_STATEMENT = 200;

export const operatorsVersionName = (memberId: string) => `operators:${memberId}`;

/**
 * The portal's operator availability as last read by any process (migration 060's
 * operator_snapshots, versioned by 090). A write is one transaction: the portal's
 * 'operators:<member>' counter moves on, and every row written carries the new value, so a
 * reader that saw version N asks only for rows above N. A row is never replaced by an older
 * read (a slower process finishing after a faster one).
 */
export class OperatorSnapshotRepository {
  constructor(
    private readonly db: Store,
    private readonly versions: StoreVersionRepository,
  ) {}

  /** Stores these reads; returns the version they were written under. */
  async save(memberId: string, rows: readonly SnapshotRow[]): Promise<number> {
    return this.db.transaction(
      async (tx) => {
        const version = await this.versions.bump(operatorsVersionName(memberId), tx);
        for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
          const chunk = rows.slice(i, i + ROWS_PER_STATEMENT);
          await tx.run(
            `INSERT INTO operator_snapshots (member_id, user_id, info, fetched_at, version)
             VALUES ${chunk.map(() => '(?, ?, ?, ?, ?)').join(', ')}
             ON CONFLICT (member_id, user_id) DO UPDATE SET info = excluded.info,
               fetched_at = excluded.fetched_at, version = excluded.version
             WHERE operator_snapshots.fetched_at <= excluded.fetched_at`,
            chunk.flatMap((r) => [memberId, r.userId, JSON.stringify(r.info), r.fetchedAt, version]),
          );
        }
        return version;
      },
      // Losing the last write in a power cut costs one more read of the portal, nothing else.
      { unsynced: true },
    );
  }

  /** The portal's current snapshot version (0: never written). */
  async version(memberId: string): Promise<number> {
    const name = operatorsVersionName(memberId);
    return (await this.versions.read([name])).get(name) ?? 0;
  }

  /** Rows written after version `after`. */
  async since(memberId: string, after: number): Promise<SnapshotRow[]> {
    const rows = await this.db.all<{ user_id: number; info: string; fetched_at: number }>(
      'SELECT user_id, info, fetched_at FROM operator_snapshots WHERE member_id = ? AND version > ?',
      [memberId, after],
    );
    return rows.map((r) => ({
      userId: Number(r.user_id),
      info: JSON.parse(r.info) as Record<string, unknown> | null,
      fetchedAt: Number(r.fetched_at),
    }));
  }

  /** Forgets the portal's rows (uninstall). */
  async forget(memberId: string): Promise<void> {
    await this.db.run('DELETE FROM operator_snapshots WHERE member_id = ?', [memberId]);
  }
}
