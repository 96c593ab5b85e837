import type { Store as Database, Queryable } from '../store.ts';

export type LeadPhase = 'decided' | 'done' | 'waiting' | 'skipped' | 'seen' | 'gone';

export interface LeadRow {
  memberId: string;
  leadId: number;
  phase: LeadPhase;
  queueId: string | null;
  statusId: string | null;
  holderId: number | null;
  previousId: number | null;
  operatorId: number | null;
  reason: any;
  comment: string | null;
  updateDone: boolean;
  commentId: number | null;
  logged: boolean;
  echoUntil: number;
  receivedAt: number | null;
  decidedAt: number | null;
  writtenAt: number | null;
  updatedAt: number;
}

/** An outcome of the distribution for one lead, recorded before anything is written to the portal. */
export interface LeadOutcome {
  memberId: string;
  leadId: number;
  phase: 'decided' | 'done' | 'waiting' | 'skipped';
  queueId: string | null;
  statusId: string | null;
  holderId: number | null;
  previousId: number | null;
  operatorId: number | null;
  reason: unknown;
  comment: string | null;
  receivedAt: number | null;
  at: number;
}

/** One lead as a sync read found it on the portal. */
export interface SyncedLead {
  leadId: number;
  holderId: number;
  statusId: string;
}

/** Which register a repository reads: the lead register or the deal register (same shape). */
export interface CrmRegisterTable {
  table: 'leads' | 'deals';
  idColumn: 'lead_id' | 'deal_id';
}
export const LEAD_TABLE: CrmRegisterTable = { table: 'leads', idColumn: 'lead_id' };
export const DEAL_TABLE: CrmRegisterTable = { table: 'deals', idColumn: 'deal_id' };

/**
 * The lead register: one row per lead the app has seen, with its decision, the progress of
 * the portal write, and the lead's current holder and status (the lead load).
 */
export class LeadRepository {
  private readonly t: string;
  private readonly idc: string;

  /** `table`: the lead register, or the deal register (110_deals.sql: same columns, `deal_id`). */
  constructor(
    private readonly db: Database,
    table: CrmRegisterTable = LEAD_TABLE,
  ) {
    this.t = table.table;
    this.idc = table.idColumn;
  }

  async get(memberId: string, leadId: number): Promise<LeadRow | undefined> {
    const r = await this.db.get<any>(`SELECT * FROM ${this.t} WHERE member_id = ? AND ${this.idc} = ?`, [
      memberId,
      leadId,
    ]);
    return r ? toRow(r) : undefined;
  }

  /**
   * Records an outcome, unless the lead already has a final one: only a lead never decided
   * (no row, or known from sync) or still waiting can get a new outcome. Returns whether it
   * was recorded; false means another run got there first.
   */
  async recordOutcome(o: LeadOutcome, q: Queryable = this.db): Promise<boolean> {
    const r = await q.run(
      `INSERT INTO ${this.t} (member_id, ${this.idc}, phase, queue_id, status_id, holder_id, previous_id, operator_id,
         reason, comment, update_done, comment_id, logged, echo_until, received_at, decided_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL, 0, 0, ?, ?, ?)
       ON CONFLICT (member_id, ${this.idc}) DO UPDATE SET
         phase = excluded.phase, queue_id = excluded.queue_id, status_id = excluded.status_id,
         holder_id = excluded.holder_id, previous_id = excluded.previous_id, operator_id = excluded.operator_id,
         reason = excluded.reason, comment = excluded.comment, update_done = 0, comment_id = NULL, logged = 0,
         received_at = COALESCE(${this.t}.received_at, excluded.received_at), decided_at = excluded.decided_at,
         updated_at = excluded.updated_at
       WHERE ${this.t}.phase IN ('seen', 'waiting')`,
      [
        o.memberId,
        o.leadId,
        o.phase,
        o.queueId,
        o.statusId,
        o.holderId,
        o.previousId,
        o.operatorId,
        JSON.stringify(o.reason ?? null),
        o.comment,
        o.receivedAt,
        o.at,
        o.at,
      ],
    );
    return r.changes > 0;
  }

  /** A decision, only if its operator's open items (unwritten decisions in, this one out) are under `max`:
   * count and record under a per-operator lock, so two queues or processes cannot both take the last place. */
  async recordWithinLimit(
    o: LeadOutcome,
    max: number,
    open: readonly string[],
  ): Promise<'recorded' | 'already' | 'full'> {
    const lock = `${this.t}-load:${o.memberId}:${o.operatorId}`;
    return this.db.transaction(
      async (tx) => {
        const r = await tx.get<{ n: number }>(
          `SELECT COUNT(*) AS n FROM ${this.t} WHERE member_id = ? AND holder_id = ? AND ${this.idc} <> ?
           AND status_id IN (${marks(open.length)}) AND phase <> 'gone'`,
          [o.memberId, o.operatorId, o.leadId, ...open],
        );
        if (Number(r?.n ?? 0) >= max) return 'full';
        return (await this.recordOutcome(o, tx)) ? 'recorded' : 'already';
      },
      { lock },
    );
  }

  /** What the portal confirmed of a decided lead's write. */
  async markWritten(
    memberId: string,
    leadId: number,
    w: { updateDone?: boolean; commentId?: number | null; echoUntil?: number; at: number },
  ): Promise<void> {
    await this.db.run(
      `UPDATE ${this.t} SET update_done = ${this.db.dialect.greatest('update_done', '?')}, comment_id = COALESCE(comment_id, ?),
         echo_until = ${this.db.dialect.greatest('echo_until', '?')}, written_at = ?, updated_at = ?
       WHERE member_id = ? AND ${this.idc} = ?`,
      [w.updateDone ? 1 : 0, w.commentId ?? null, w.echoUntil ?? 0, w.at, w.at, memberId, leadId],
    );
  }

  async setPhase(memberId: string, leadId: number, phase: LeadPhase, at: number): Promise<void> {
    await this.db.run(
      `UPDATE ${this.t} SET phase = ?, updated_at = ? WHERE member_id = ? AND ${this.idc} = ?`,
      [phase, at, memberId, leadId],
    );
  }

  /**
   * An item the app placed (or saw) goes back to be decided again: an absent person's handover.
   * Not one whose write is under way ('decided'); a row that was never there is added.
   */
  async reopen(
    memberId: string,
    leadId: number,
    o: { holderId: number | null; statusId: string | null; at: number },
  ): Promise<boolean> {
    const r = await this.db.run(
      `INSERT INTO ${this.t} (member_id, ${this.idc}, phase, status_id, holder_id, updated_at) VALUES (?, ?, 'seen', ?, ?, ?)
       ON CONFLICT (member_id, ${this.idc}) DO UPDATE SET phase = 'seen', holder_id = excluded.holder_id,
         status_id = excluded.status_id, echo_until = 0, updated_at = excluded.updated_at
       WHERE ${this.t}.phase <> 'decided'`,
      [memberId, leadId, o.statusId, o.holderId, o.at],
    );
    return r.changes > 0;
  }

  /** A waiting item whose queue changed (a deal moved to another pipeline): it waits in the new one. */
  async requeue(memberId: string, leadId: number, queueId: string, at: number): Promise<void> {
    await this.db.run(
      `UPDATE ${this.t} SET queue_id = ?, updated_at = ? WHERE member_id = ? AND ${this.idc} = ? AND phase = 'waiting'`,
      [queueId, at, memberId, leadId],
    );
  }

  async markLogged(memberId: string, leadId: number): Promise<void> {
    await this.db.run(`UPDATE ${this.t} SET logged = 1 WHERE member_id = ? AND ${this.idc} = ?`, [
      memberId,
      leadId,
    ]);
  }

  /**
   * The app's own crm.item.update fires ONCRMLEADUPDATE once: the first such event inside the
   * window is taken as that echo (and used up). Returns whether this was it.
   */
  async consumeEcho(memberId: string, leadId: number, now: number): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE ${this.t} SET echo_until = 0 WHERE member_id = ? AND ${this.idc} = ? AND echo_until >= ?`,
      [memberId, leadId, now],
    );
    return r.changes > 0;
  }

  /**
   * What the portal says now about a lead the register knows: its responsible and status. A
   * lead still waiting whose responsible a person changed is no longer the app's to place.
   */
  async observe(
    memberId: string,
    leadId: number,
    o: { holderId: number | null; statusId: string | null; at: number },
  ): Promise<void> {
    await this.db.run(
      `UPDATE ${this.t} SET holder_id = ?, status_id = COALESCE(?, status_id),
         phase = CASE WHEN phase = 'waiting' AND ? IS DISTINCT FROM previous_id THEN 'skipped' ELSE phase END,
         updated_at = ?
       WHERE member_id = ? AND ${this.idc} = ?`,
      [o.holderId, o.statusId, o.holderId, o.at, memberId, leadId],
    );
  }

  async markGone(memberId: string, leadId: number, at: number): Promise<void> {
    await this.db.run(
      `INSERT INTO ${this.t} (member_id, ${this.idc}, phase, holder_id, updated_at) VALUES (?, ?, 'gone', NULL, ?)
       ON CONFLICT (member_id, ${this.idc}) DO UPDATE SET phase = 'gone', holder_id = NULL, echo_until = 0,
         updated_at = excluded.updated_at`,
      [memberId, leadId, at],
    );
  }

  /** Open leads per holder among `operatorIds` (statuses in `openStatuses`). */
  async loads(
    memberId: string,
    operatorIds: readonly number[],
    openStatuses: readonly string[],
  ): Promise<Map<number, number>> {
    const out = new Map<number, number>();
    if (operatorIds.length === 0 || openStatuses.length === 0) return out;
    const rows = await this.db.all<{ holder_id: number; n: number }>(
      `SELECT holder_id, COUNT(*) AS n FROM ${this.t}
       WHERE member_id = ? AND holder_id IN (${marks(operatorIds.length)})
         AND status_id IN (${marks(openStatuses.length)}) AND phase <> 'gone'
       GROUP BY holder_id`,
      [memberId, ...operatorIds, ...openStatuses],
    );
    for (const r of rows) out.set(r.holder_id, r.n);
    return out;
  }

  /** Operators holding open leads in the register. */
  async holders(memberId: string, openStatuses: readonly string[]): Promise<number[]> {
    if (openStatuses.length === 0) return [];
    const rows = await this.db.all<{ holder_id: number }>(
      `SELECT DISTINCT holder_id FROM ${this.t}
       WHERE member_id = ? AND holder_id IS NOT NULL AND status_id IN (${marks(openStatuses.length)})
         AND phase <> 'gone'`,
      [memberId, ...openStatuses],
    );
    return rows.map((r) => r.holder_id);
  }

  /** Leads the register counts as open (status in `openStatuses`, someone holds them). */
  async openLeads(memberId: string, openStatuses: readonly string[]): Promise<LeadRow[]> {
    if (openStatuses.length === 0) return [];
    const rows = await this.db.all<any>(
      `SELECT * FROM ${this.t} WHERE member_id = ? AND holder_id IS NOT NULL
         AND status_id IN (${marks(openStatuses.length)}) AND phase <> 'gone'`,
      [memberId, ...openStatuses],
    );
    return rows.map(toRow);
  }

  /**
   * The sweep of the lead sync: up to `limit` leads the register counts as open (a decided one's
   * write is its handler's), the longest unchecked first.
   */
  async toSweep(memberId: string, openStatuses: readonly string[], limit: number): Promise<number[]> {
    if (openStatuses.length === 0 || limit <= 0) return [];
    const rows = await this.db.all<{ id: number }>(
      `SELECT ${this.idc} AS id FROM ${this.t} WHERE member_id = ? AND holder_id IS NOT NULL
         AND status_id IN (${marks(openStatuses.length)}) AND phase NOT IN ('gone', 'decided')
       ORDER BY COALESCE(checked_at, 0), ${this.idc} LIMIT ?`,
      [memberId, ...openStatuses, limit],
    );
    return rows.map((r) => Number(r.id));
  }

  /** The sync read these leads now (the sweep starts with the others next time). */
  async markChecked(memberId: string, leadIds: readonly number[], at: number): Promise<void> {
    for (let i = 0; i < leadIds.length; i += 500) {
      const part = leadIds.slice(i, i + 500);
      await this.db.run(
        `UPDATE ${this.t} SET checked_at = ? WHERE member_id = ? AND ${this.idc} IN (${marks(part.length)})`,
        [at, memberId, ...part],
      );
    }
  }

  /**
   * Applies a sync read: leads it found get their holder and status (unknown ones are added as
   * `seen`), and `released` leads (open in the register but not held by anyone the read asked
   * about, so closed, converted or moved elsewhere) stop counting for anyone.
   */
  async applySync(
    memberId: string,
    found: readonly SyncedLead[],
    released: readonly number[],
    at: number,
  ): Promise<{ added: number; changed: number; released: number }> {
    return this.db.transaction(async (tx) => {
      let added = 0;
      let changed = 0;
      for (const f of found) {
        const before = await tx.get<{ holder_id: number | null; status_id: string | null; phase: LeadPhase }>(
          `SELECT holder_id, status_id, phase FROM ${this.t} WHERE member_id = ? AND ${this.idc} = ?`,
          [memberId, f.leadId],
        );
        if (!before) {
          await tx.run(
            `INSERT INTO ${this.t} (member_id, ${this.idc}, phase, status_id, holder_id, updated_at)
             VALUES (?, ?, 'seen', ?, ?, ?)`,
            [memberId, f.leadId, f.statusId, f.holderId, at],
          );
          added++;
        } else if (
          // A decided lead's write is under way: its event handler, not the sync, finishes it.
          before.phase !== 'decided' &&
          (before.holder_id !== f.holderId || before.status_id !== f.statusId)
        ) {
          await tx.run(
            `UPDATE ${this.t} SET holder_id = ?, status_id = ?,
               phase = CASE WHEN phase = 'waiting' AND ? IS DISTINCT FROM previous_id THEN 'skipped' ELSE phase END,
               updated_at = ?
             WHERE member_id = ? AND ${this.idc} = ?`,
            [f.holderId, f.statusId, f.holderId, at, memberId, f.leadId],
          );
          changed++;
        }
      }
      for (const leadId of released) {
        await tx.run(
          `UPDATE ${this.t} SET holder_id = NULL,
             phase = CASE WHEN phase = 'waiting' THEN 'skipped' ELSE phase END, updated_at = ?
           WHERE member_id = ? AND ${this.idc} = ? AND phase <> 'decided'`,
          [at, memberId, leadId],
        );
      }
      return { added, changed, released: released.length };
    });
  }

  /** Decisions whose write has not been confirmed since before `before` (their event gave up or its process died). */
  async unfinished(memberId: string, before: number, limit = 100): Promise<LeadRow[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM ${this.t} WHERE member_id = ? AND phase = 'decided' AND decided_at < ? ORDER BY decided_at LIMIT ?`,
      [memberId, before, limit],
    );
    return rows.map(toRow);
  }

  /** Leads waiting for a free operator, oldest first. */
  async waiting(memberId: string, limit = 500): Promise<LeadRow[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM ${this.t} WHERE member_id = ? AND phase = 'waiting' ORDER BY received_at, ${this.idc} LIMIT ?`,
      [memberId, limit],
    );
    return rows.map(toRow);
  }
}

function marks(n: number): string {
  return new Array(n).fill('?').join(', ');
}

function toRow(r: any): LeadRow {
  return {
    memberId: r.member_id,
    leadId: r.lead_id ?? r.deal_id,
    phase: r.phase,
    queueId: r.queue_id,
    statusId: r.status_id,
    holderId: r.holder_id,
    previousId: r.previous_id,
    operatorId: r.operator_id,
    reason: r.reason == null ? null : JSON.parse(r.reason),
    comment: r.comment,
    updateDone: r.update_done === 1,
    commentId: r.comment_id,
    logged: r.logged === 1,
    echoUntil: r.echo_until,
    receivedAt: r.received_at,
    decidedAt: r.decided_at,
    writtenAt: r.written_at,
    updatedAt: r.updated_at,
  };
}
