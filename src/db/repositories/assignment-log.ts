import type { Store as Database, Queryable } from '../store.ts';

export type LogAction =
  | 'assign' // a new item given to an operator
  | 'wait' // nobody could take it: it waits in the app's queue
  | 'portal_queue' // handed to the portal's own queue ("all at once", or the safety net)
  | 'pass_on' // no answer within the timeout: moved to the next operator
  | 'return' // its operator became unavailable: back to distribution
  | 'reclaim' // its operator left the queue or was dismissed
  | 'close' // closed as idle
  | 'skip' // left alone on purpose (a person already chose, already assigned…)
  | 'breach' // a first-touch (lead) or first-message (chat) deadline passed (speed to lead)
  | 'transfer' // a person moved the dialog in Bitrix24 (found by the sync)
  | 'follow' // one owner: it followed the other side (a lead after its chat, a chat after its lead)
  | 'handover'; // an absence: handed to the deputy or back to distribution

/** What a log row is about (110_deals.sql added deals, and contacts for the one-owner policy). */
export type LogKind = 'dialog' | 'lead' | 'deal' | 'contact';

export interface LogEntry {
  memberId: string;
  kind: LogKind;
  objectId: string;
  queueId?: string | null;
  action: LogAction;
  operatorId?: number | null;
  previousOperatorId?: number | null;
  /** the engine's machine-readable reason, or the job's */
  reason: unknown;
  /** event received → portal confirmed the write */
  latencyMs?: number | null;
  at: number;
}

export interface LogRow extends Required<Omit<LogEntry, 'reason'>> {
  id: number;
  reason: any;
}

/** The assignment log: one row per decision and per move, with its reason. */
export class AssignmentLogRepository {
  constructor(private readonly db: Database) {}

  async add(e: LogEntry): Promise<number> {
    return insertLogEntry(this.db, e);
  }

  async recent(
    memberId: string,
    o: { limit?: number; kind?: LogKind; objectId?: string; since?: number } = {},
  ) {
    const where = ['member_id = ?'];
    const params: (string | number)[] = [memberId];
    if (o.kind) {
      where.push('kind = ?');
      params.push(o.kind);
    }
    if (o.objectId) {
      where.push('object_id = ?');
      params.push(o.objectId);
    }
    if (o.since !== undefined) {
      where.push('created_at >= ?');
      params.push(o.since);
    }
    const rows = await this.db.all<any>(
      `SELECT * FROM assignment_log WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT ?`,
      [...params, o.limit ?? 100],
    );
    return rows.map(toRow);
  }

  /** Assignments per operator since `since` (the dashboard's chart). */
  async assignmentsPerOperator(memberId: string, since: number, kind?: LogKind) {
    return this.db.all<{ operatorId: number; kind: string; n: number }>(
      `SELECT operator_id AS "operatorId", kind, COUNT(*) AS n FROM assignment_log
       WHERE member_id = ? AND created_at >= ? AND action IN ('assign', 'pass_on', 'return', 'reclaim')
         AND operator_id IS NOT NULL ${kind ? 'AND kind = ?' : ''}
       GROUP BY operator_id, kind ORDER BY n DESC`,
      kind ? [memberId, since, kind] : [memberId, since],
    );
  }

  /** Latencies (event → transfer) of assignments since `since`, for the benchmarks and the dashboard. */
  async latencies(memberId: string, since: number): Promise<number[]> {
    const rows = await this.db.all<{ l: number }>(
      `SELECT latency_ms AS l FROM assignment_log WHERE member_id = ? AND created_at >= ? AND latency_ms IS NOT NULL`,
      [memberId, since],
    );
    return rows.map((r) => r.l);
  }
}

function toRow(r: any): LogRow {
  return {
    id: r.id,
    memberId: r.member_id,
    kind: r.kind,
    objectId: r.object_id,
    queueId: r.queue_id,
    action: r.action,
    operatorId: r.operator_id,
    previousOperatorId: r.previous_operator_id,
    reason: JSON.parse(r.reason),
    latencyMs: r.latency_ms,
    at: r.created_at,
  };
}

/** One log entry, on the database or inside a caller's transaction (a breach logs with its record). */
export async function insertLogEntry(q: Queryable, e: LogEntry): Promise<number> {
  const r = await q.get<{ id: number }>(
    `INSERT INTO assignment_log (member_id, kind, object_id, queue_id, action, operator_id, previous_operator_id,
       reason, latency_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    [
      e.memberId,
      e.kind,
      e.objectId,
      e.queueId ?? null,
      e.action,
      e.operatorId ?? null,
      e.previousOperatorId ?? null,
      JSON.stringify(e.reason ?? null),
      e.latencyMs ?? null,
      e.at,
    ],
  );
  return r!.id;
}
