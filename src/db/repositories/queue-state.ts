import type { Store as Database } from '../store.ts';

export interface QueueOperatorState {
  lastAssignedAt: number | null;
  credit: number;
}

/** lastAssignedAt and weighted credit per queue and operator (the engine's persisted state). */
export class QueueStateRepository {
  constructor(private readonly db: Database) {}

  async get(memberId: string, queueId: string): Promise<Map<number, QueueOperatorState>> {
    const rows = await this.db.all<{ operator_id: number; last_assigned_at: number | null; credit: number }>(
      'SELECT operator_id, last_assigned_at, credit FROM queue_state WHERE member_id = ? AND queue_id = ?',
      [memberId, queueId],
    );
    return new Map(
      rows.map((r) => [r.operator_id, { lastAssignedAt: r.last_assigned_at, credit: r.credit }]),
    );
  }

  /** Records an assignment's stamp (never moving it backwards) and, for weighted queues, every member's credit. */
  async recordAssignment(
    memberId: string,
    queueId: string,
    operatorId: number,
    stamp: number,
    credits?: Record<number, number> | Map<number, number>,
  ): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.run(
        `INSERT INTO queue_state (member_id, queue_id, operator_id, last_assigned_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (member_id, queue_id, operator_id) DO UPDATE
           SET last_assigned_at = ${this.db.dialect.greatest('COALESCE(queue_state.last_assigned_at, 0)', 'excluded.last_assigned_at')}`,
        [memberId, queueId, operatorId, stamp],
      );
      const entries = credits instanceof Map ? [...credits] : Object.entries(credits ?? {});
      for (const [id, credit] of entries) {
        await tx.run(
          `INSERT INTO queue_state (member_id, queue_id, operator_id, credit) VALUES (?, ?, ?, ?)
           ON CONFLICT (member_id, queue_id, operator_id) DO UPDATE SET credit = excluded.credit`,
          [memberId, queueId, Number(id), credit],
        );
      }
    });
  }
}
