import type { Store as Database } from '../store.ts';
import { StoreVersionRepository } from './store-versions.ts';

export interface StoredSetting {
  scope: string;
  value: unknown;
  updatedAt: number;
  updatedBy: number | null;
}

/** Raw JSON settings per portal and scope; src/settings validates what goes in and out. */
export class SettingsRepository {
  private readonly versions: StoreVersionRepository;
  constructor(private readonly db: Database) {
    this.versions = new StoreVersionRepository(db);
  }

  async get(memberId: string, scope: string): Promise<StoredSetting | undefined> {
    const r = await this.db.get<any>('SELECT * FROM settings WHERE member_id = ? AND scope = ?', [
      memberId,
      scope,
    ]);
    return r
      ? { scope: r.scope, value: JSON.parse(r.value), updatedAt: r.updated_at, updatedBy: r.updated_by }
      : undefined;
  }

  async list(memberId: string): Promise<StoredSetting[]> {
    const rows = await this.db.all<any>('SELECT * FROM settings WHERE member_id = ? ORDER BY scope', [
      memberId,
    ]);
    return rows.map((r) => ({
      scope: r.scope,
      value: JSON.parse(r.value),
      updatedAt: r.updated_at,
      updatedBy: r.updated_by,
    }));
  }

  async set(
    memberId: string,
    scope: string,
    value: unknown,
    now: number,
    userId: number | null,
  ): Promise<void> {
    // Every process's caches built from settings notice the change by this counter (snapshot-watch.ts).
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO settings (member_id, scope, value, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (member_id, scope) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at,
           updated_by = excluded.updated_by`,
        [memberId, scope, JSON.stringify(value), now, userId],
      );
      await this.versions.bump(`settings:${memberId}`, tx);
    });
  }
}
