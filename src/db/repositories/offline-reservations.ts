import type { Store as Database } from '../store.ts';

export class OfflineReservationRepository {
  constructor(private readonly db: Database) {}
  async add(memberId: string, processId: string, now: number): Promise<void> {
    await this.db.run(
      'INSERT INTO offline_reservations (member_id, process_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      [memberId, processId, now],
    );
  }
  async list(memberId: string): Promise<string[]> {
    const rows = await this.db.all<{ process_id: string }>(
      'SELECT process_id FROM offline_reservations WHERE member_id = ? ORDER BY created_at',
      [memberId],
    );
    return rows.map((r) => r.process_id);
  }
  async remove(memberId: string, processId: string): Promise<void> {
    await this.db.run('DELETE FROM offline_reservations WHERE member_id = ? AND process_id = ?', [
      memberId,
      processId,
    ]);
  }
}
