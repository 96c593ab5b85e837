import { insertLogEntry } from './assignment-log.ts';
import type { BreachRecord, BreachRow, Notice, NoticeRow, Unwatched, WatchRow } from './first-touch-types.ts';
import { redecideLead } from './lead-redecide.ts';
import { recordQuota } from './quota-ledger.ts';
import type { Store as Database, Queryable } from '../store.ts';

export type {
  BreachRecord,
  BreachRow,
  Notice,
  NoticeRow,
  Unwatched,
  WatchRow,
  WatchState,
} from './first-touch-types.ts';

/**
 * First-touch watches, their breaches and notices. A breach is recorded with the watch's next
 * state, its notices, its log entry and (reassign) the lead's new decision in one transaction,
 * guarded by the watch's breach count, so a second run at the same instant records nothing.
 */
export class FirstTouchRepository {
  /** `kind`: the leads' watches (crm/first-touch) or the chats' breaches (openlines/first-message.ts) */
  constructor(
    private readonly db: Database,
    private readonly kind: 'lead' | 'dialog' = 'lead',
  ) {}

  /** Leads the app placed since `since` (still with that person) that have no watch yet. */
  async unwatched(memberId: string, since: number, limit = 2000): Promise<Unwatched[]> {
    const rows = await this.db.all<any>(
      `SELECT l.lead_id, l.queue_id, l.operator_id, l.status_id, l.decided_at, l.received_at FROM leads l
       LEFT JOIN first_touch_watch w
         ON w.member_id = l.member_id AND w.kind = 'lead' AND w.object_id = CAST(l.lead_id AS TEXT)
       WHERE l.member_id = ? AND l.phase = 'done' AND l.operator_id IS NOT NULL
         AND l.holder_id = l.operator_id AND l.decided_at >= ? AND w.object_id IS NULL
       ORDER BY l.decided_at LIMIT ?`,
      [memberId, since, limit],
    );
    return rows.map((r) => ({
      leadId: r.lead_id,
      queueId: r.queue_id,
      operatorId: r.operator_id,
      statusId: r.status_id,
      decidedAt: r.decided_at,
      receivedAt: r.received_at,
    }));
  }

  /** Starts watches (a watch that exists is left as it is). */
  async start(rows: readonly WatchRow[], at: number): Promise<number> {
    if (rows.length === 0) return 0;
    return this.db.transaction(async (tx) => {
      let n = 0;
      for (const w of rows) {
        const r = await tx.run(
          `INSERT INTO first_touch_watch (member_id, kind, object_id, queue_id, holder_id, holders, status_id,
             arrived_at, assigned_at, deadline_at, breaches, state, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT (member_id, kind, object_id) DO NOTHING`,
          [
            w.memberId,
            w.kind,
            w.objectId,
            w.queueId,
            w.holderId,
            JSON.stringify(w.holders),
            w.statusId,
            w.arrivedAt,
            w.assignedAt,
            w.deadlineAt,
            w.state,
            at,
          ],
        );
        n += r.changes;
      }
      return n;
    });
  }

  /** Watches whose deadline has come, earliest first. */
  async due(memberId: string, now: number, limit = 5000): Promise<WatchRow[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM first_touch_watch
       WHERE member_id = ? AND state = 'watching' AND deadline_at IS NOT NULL AND deadline_at <= ?
       ORDER BY deadline_at, object_id LIMIT ?`,
      [memberId, now, limit],
    );
    return rows.map(toWatch);
  }

  async get(memberId: string, objectId: string): Promise<WatchRow | undefined> {
    const r = await this.db.get<any>(
      `SELECT * FROM first_touch_watch WHERE member_id = ? AND kind = 'lead' AND object_id = ?`,
      [memberId, objectId],
    );
    return r ? toWatch(r) : undefined;
  }

  /** The holder made first contact (only a watch still running, and still with that holder). */
  async touched(w: WatchRow, t: { at: number; by: number; touch: string }, now: number): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE first_touch_watch SET state = 'touched', touched_at = ?, touched_by = ?, touch = ?, updated_at = ?
       WHERE member_id = ? AND kind = 'lead' AND object_id = ? AND state = 'watching' AND holder_id = ?`,
      [t.at, t.by, t.touch, now, w.memberId, w.objectId, w.holderId],
    );
    return r.changes > 0;
  }

  /** Stops watching: the lead is closed, converted or gone. */
  async end(w: WatchRow, now: number): Promise<void> {
    await this.db.run(
      `UPDATE first_touch_watch SET state = 'ended', updated_at = ?
       WHERE member_id = ? AND kind = 'lead' AND object_id = ? AND state = 'watching'`,
      [now, w.memberId, w.objectId],
    );
  }

  /** Someone gave the lead to another person: the clock restarts for them. */
  async follow(
    w: WatchRow,
    f: { holderId: number; statusId: string | null; deadlineAt: number | null },
    now: number,
  ): Promise<void> {
    await this.db.run(
      `UPDATE first_touch_watch SET holder_id = ?, holders = ?, status_id = ?, assigned_at = ?, deadline_at = ?,
         updated_at = ?
       WHERE member_id = ? AND kind = 'lead' AND object_id = ? AND state = 'watching' AND holder_id = ?`,
      [
        f.holderId,
        JSON.stringify([...new Set([...w.holders, f.holderId])]),
        f.statusId,
        now,
        f.deadlineAt,
        now,
        w.memberId,
        w.objectId,
        w.holderId,
      ],
    );
  }

  /**
   * Records a breach with everything it leads to, in one transaction. Returns false when the
   * watch has moved on (another run recorded this breach first): nothing is written then.
   */
  async recordBreach(b: BreachRecord): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const moved = await tx.run(
        `UPDATE first_touch_watch SET breaches = ?, holder_id = ?, holders = ?, assigned_at = ?, deadline_at = ?,
           state = ?, updated_at = ?
         WHERE member_id = ? AND kind = 'lead' AND object_id = ? AND state = 'watching' AND breaches = ?
           AND holder_id = ?`,
        [
          b.breachNo,
          b.watch.holderId,
          JSON.stringify(b.watch.holders),
          b.watch.assignedAt,
          b.watch.deadlineAt,
          b.watch.state,
          b.at,
          b.memberId,
          b.objectId,
          b.breachNo - 1,
          b.holderId,
        ],
      );
      if (moved.changes === 0) return false;
      if (!(await insertBreach(tx, b, 'lead'))) throw new BreachConflict(b.objectId);
      for (const n of b.notices) await insertNotice(tx, b, n);
      await insertLogEntry(tx, b.log);
      if (b.lead && b.newHolderId !== null) {
        const ok = await redecideLead(tx, {
          memberId: b.memberId,
          leadId: Number(b.objectId),
          fromId: b.holderId,
          toId: b.newHolderId,
          reason: b.lead.reason,
          comment: b.lead.comment,
          at: b.at,
        });
        // The lead's register row says someone else has it: the breach must not go ahead.
        if (!ok) throw new BreachConflict(b.objectId);
        await recordQuota(tx, {
          memberId: b.memberId,
          kind: 'lead',
          objectId: b.objectId,
          operatorId: b.newHolderId,
          at: b.at,
        });
      }
      return true;
    });
  }

  /** Breaches whose writes the portal has not confirmed yet, oldest first. */
  async unwritten(memberId: string, limit = 500): Promise<BreachRow[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM first_touch_breach WHERE member_id = ? AND kind = ? AND written = 0
       ORDER BY at, object_id LIMIT ?`,
      [memberId, this.kind, limit],
    );
    return rows.map(toBreach);
  }

  async unsentNotices(memberId: string, objectId: string, breachNo: number): Promise<NoticeRow[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM first_touch_notice WHERE member_id = ? AND kind = ? AND object_id = ? AND breach_no = ?
         AND sent_at IS NULL ORDER BY user_id`,
      [memberId, this.kind, objectId, breachNo],
    );
    return rows.map(toNotice);
  }

  /** Marks sends as begun, just before their batch leaves (a lost answer is resent under the same tag). */
  async noticesSending(memberId: string, list: readonly NoticeRow[]): Promise<void> {
    if (list.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const n of list) {
        await tx.run(
          `UPDATE first_touch_notice SET attempts = attempts + 1
           WHERE member_id = ? AND kind = ? AND object_id = ? AND breach_no = ? AND user_id = ?`,
          [memberId, this.kind, n.objectId, n.breachNo, n.userId],
        );
      }
    });
  }

  async noticeSent(memberId: string, n: Pick<NoticeRow, 'objectId' | 'breachNo' | 'userId'>, at: number) {
    await this.db.run(
      `UPDATE first_touch_notice SET sent_at = ?
       WHERE member_id = ? AND kind = ? AND object_id = ? AND breach_no = ? AND user_id = ?`,
      [at, memberId, this.kind, n.objectId, n.breachNo, n.userId],
    );
  }

  /** A notice that no longer says what happened (its move did not go through): never sent. */
  async dropNotice(memberId: string, n: Pick<NoticeRow, 'objectId' | 'breachNo' | 'userId'>): Promise<void> {
    await this.db.run(
      `DELETE FROM first_touch_notice
       WHERE member_id = ? AND kind = ? AND object_id = ? AND breach_no = ? AND user_id = ? AND sent_at IS NULL`,
      [memberId, this.kind, n.objectId, n.breachNo, n.userId],
    );
  }

  async breachWritten(memberId: string, objectId: string, breachNo: number): Promise<void> {
    await this.db.run(
      `UPDATE first_touch_breach SET written = 1 WHERE member_id = ? AND kind = ? AND object_id = ? AND breach_no = ?`,
      [memberId, this.kind, objectId, breachNo],
    );
  }

  /** Every notice of a portal (tests, the demo's story). */
  async notices(memberId: string): Promise<NoticeRow[]> {
    const rows = await this.db.all<any>(
      'SELECT * FROM first_touch_notice WHERE member_id = ? ORDER BY object_id, breach_no, user_id',
      [memberId],
    );
    return rows.map(toNotice);
  }
}

/** The lead register no longer has the lead with the holder the breach was about. */
export class BreachConflict extends Error {
  constructor(objectId: string) {
    super(`lead ${objectId} is no longer with the holder whose deadline passed`);
    this.name = 'BreachConflict';
  }
}

/** A missed deadline's row (its record's transaction); false when that breach number is recorded already. */
export async function insertBreach(
  tx: Queryable,
  b: Omit<BreachRow, 'written'>,
  kind: 'lead' | 'dialog',
): Promise<boolean> {
  const r = await tx.run(
    `INSERT INTO first_touch_breach (member_id, kind, object_id, breach_no, queue_id, holder_id, action,
       new_holder_id, supervisor_id, waited_ms, due_at, at, written)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
     ON CONFLICT (member_id, kind, object_id, breach_no) DO NOTHING`,
    [
      b.memberId,
      kind,
      b.objectId,
      b.breachNo,
      b.queueId,
      b.holderId,
      b.action,
      b.newHolderId,
      b.supervisorId,
      b.waitedMs,
      b.dueAt,
      b.at,
    ],
  );
  return r.changes > 0;
}

/** A breach's notice, rendered once (its record's transaction). */
export async function insertNotice(
  tx: Queryable,
  b: Pick<BreachRecord, 'memberId' | 'objectId' | 'breachNo'>,
  n: Notice,
  kind: 'lead' | 'dialog' = 'lead',
): Promise<void> {
  await tx.run(
    `INSERT INTO first_touch_notice (member_id, kind, object_id, breach_no, user_id, role, tag, message)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (member_id, kind, object_id, breach_no, user_id) DO NOTHING`,
    [b.memberId, kind, b.objectId, b.breachNo, n.userId, n.role, n.tag, n.message],
  );
}

function toNotice(r: any): NoticeRow {
  return {
    objectId: r.object_id,
    breachNo: r.breach_no,
    userId: r.user_id,
    role: r.role,
    tag: r.tag,
    message: r.message,
    attempts: r.attempts,
  };
}

function toWatch(r: any): WatchRow {
  return {
    memberId: r.member_id,
    kind: 'lead',
    objectId: r.object_id,
    queueId: r.queue_id,
    holderId: r.holder_id,
    holders: JSON.parse(r.holders ?? '[]'),
    statusId: r.status_id,
    arrivedAt: r.arrived_at,
    assignedAt: r.assigned_at,
    deadlineAt: r.deadline_at,
    breaches: r.breaches,
    state: r.state,
    touchedAt: r.touched_at,
    touchedBy: r.touched_by,
    touch: r.touch,
  };
}

export function toBreach(r: any): BreachRow {
  return {
    memberId: r.member_id,
    objectId: r.object_id,
    breachNo: r.breach_no,
    queueId: r.queue_id,
    holderId: r.holder_id,
    action: r.action,
    newHolderId: r.new_holder_id,
    supervisorId: r.supervisor_id,
    waitedMs: r.waited_ms,
    dueAt: r.due_at,
    at: r.at,
    written: r.written === 1,
  };
}
