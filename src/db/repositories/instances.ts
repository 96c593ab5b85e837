import type { Store as Database } from '../store.ts';

/** The processes of the app that share this store, and when each last said it was alive. */
export class InstanceRepository {
  constructor(private readonly db: Database) {}

  async beat(id: string, pid: number, host: string, now: number): Promise<void> {
    await this.db.unsynced(
      `INSERT INTO app_instances (id, pid, host, started_at, seen_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET seen_at = excluded.seen_at`,
      [id, pid, host, now, now],
    );
  }

  async seenAt(id: string): Promise<number | null> {
    const r = await this.db.get<{ seen_at: number }>('SELECT seen_at FROM app_instances WHERE id = ?', [id]);
    return r?.seen_at ?? null;
  }

  async remove(id: string): Promise<void> {
    await this.db.run('DELETE FROM app_instances WHERE id = ?', [id]);
  }

  /** Forgets processes not seen for a day (crashed ones never remove themselves). */
  async prune(before: number): Promise<void> {
    await this.db.run('DELETE FROM app_instances WHERE seen_at < ?', [before]);
  }
}
