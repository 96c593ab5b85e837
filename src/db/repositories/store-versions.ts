import type { Queryable, Store } from '../store.ts';

/**
 * Counters of shared snapshots (migration 060's store_versions): 'operators:<member>',
 * 'lines:<member>', 'settings:<member>', 'queue:<member>:<queue>', 'installation:<member>'. A
 * writer bumps the counter in the transaction that changes the snapshot; a reader compares it
 * with the one its in-memory copy was made from, and reloads when it moved.
 */
export class StoreVersionRepository {
  constructor(private readonly db: Store) {}

  /** The current counters of `names` (a name never bumped reads 0). */
  async read(names: readonly string[], q: Queryable = this.db): Promise<Map<string, number>> {
    const out = new Map<string, number>(names.map((n) => [n, 0]));
    if (names.length === 0) return out;
    const rows = await q.all<{ name: string; version: number }>(
      `SELECT name, version FROM store_versions WHERE name IN (${names.map(() => '?').join(', ')})`,
      [...names],
    );
    for (const r of rows) out.set(r.name, Number(r.version));
    return out;
  }

  /** Moves `name` on by one inside `q`'s transaction (or on its own); returns the new value. */
  async bump(name: string, q: Queryable = this.db): Promise<number> {
    const r = await q.get<{ version: number }>(
      `INSERT INTO store_versions (name, version) VALUES (?, 1)
       ON CONFLICT (name) DO UPDATE SET version = store_versions.version + 1
       RETURNING version`,
      [name],
    );
    return Number(r?.version ?? 0);
  }
}
