import type { Store as Database, Queryable } from '../store.ts';

export interface QueueOperatorState {
  lastAssignedAt: number | null;
  credit: number;
}

/** lastAssignedAt and weighted credit per queue and operator (the engine's persisted state). */
export class QueueStateRepository {
  constructor(private readonly db: Database) {}

  async get(
    memberId: string,
    queueId: string,
    q: Queryable = this.db,
  ): Promise<Map<number, QueueOperatorState>> {
    const rows = await q.all<{ operator_id: number; last_assigned_at: number | null; credit: number }>(
      'SELECT operator_id, last_assigned_at, credit FROM queue_state WHERE member_id = ? AND queue_id = ?',
      [memberId, queueId],
    );
    return new Map(
      rows.map((r) => [r.operator_id, { lastAssignedAt: r.last_assigned_at, credit: r.credit }]),
    );
  }

  /**
   * Inside the caller's transaction (a queue's turn, openlines/queue-turn.ts): the stamps of the
   * assignments just decided (never moving one backwards) and, for weighted queues, every
   * member's credit, in one statement each.
   */
  async recordTurn(
    tx: Queryable,
    memberId: string,
    queueId: string,
    stamps: ReadonlyMap<number, number>,
    credits?: Record<number, number>,
  ): Promise<void> {
    if (stamps.size > 0) {
      const rows = [...stamps];
      await tx.run(
        `INSERT INTO queue_state (member_id, queue_id, operator_id, last_assigned_at)
         VALUES ${rows.map(() => '(?, ?, ?, ?)').join(', ')}
         ON CONFLICT (member_id, queue_id, operator_id) DO UPDATE
           SET last_assigned_at = ${this.db.dialect.greatest('COALESCE(queue_state.last_assigned_at, 0)', 'excluded.last_assigned_at')}`,
        rows.flatMap(([id, stamp]) => [memberId, queueId, id, stamp]),
      );
    }
    const entries = Object.entries(credits ?? {});
    if (entries.length > 0) {
      await tx.run(
        `INSERT INTO queue_state (member_id, queue_id, operator_id, credit)
         VALUES ${entries.map(() => '(?, ?, ?, ?)').join(', ')}
         ON CONFLICT (member_id, queue_id, operator_id) DO UPDATE SET credit = excluded.credit`,
        entries.flatMap(([id, credit]) => [memberId, queueId, Number(id), credit]),
      );
    }
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
