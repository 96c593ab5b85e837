import type { Queryable } from '../sqlite.ts';
import { type Dialect, type Store as Database, sqliteDialect } from '../store.ts';

export interface NewInboxRow {
  memberId: string;
  dedupKey: string;
  event: string;
  objectKey: string;
  source: 'online' | 'offline';
  payload: unknown;
  receivedAt: number;
}

export interface InboxRow {
  id: number;
  memberId: string;
  dedupKey: string;
  event: string;
  objectKey: string;
  source: 'online' | 'offline';
  payload: any;
  receivedAt: number;
  state: 'pending' | 'processing' | 'done' | 'dead';
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  finishedAt: number | null;
}

/**
 * The claim's statements in one dialect. Lanes with unfinished rows are found by skipping
 * through inbox_open_lane: the next lane of the same portal, else the first lane of the next
 * portal, one index probe each however many rows a lane has waiting. (A single row-value
 * comparison `(member_id, lane) > (?, ?)` steps over every row of the lane it starts from.)
 * On SQLite the index is named (INDEXED BY): with no statistics the planner would pick
 * (member_id, state, id) and walk every finished row first.
 *
 * runnable: one lane's next runnable rows in arrival order: due (or their lease lapsed), and
 * with no earlier unfinished row of the same object. On PostgreSQL the rows are locked FOR
 * UPDATE SKIP LOCKED, so instances claiming at once take different rows instead of waiting.
 *
 * claim: marks the finished rows done and claims the chosen ones, in one statement. A chosen
 * row is taken only if it is still runnable, so a claim by another process in between (a CLI
 * job, another instance) is never doubled. Both lists travel as JSON arrays: one statement
 * text for any batch, and a single `id IN (…)` over rowids (an `OR` there made SQLite scan
 * the whole table).
 */
export function inboxSql(d: Dialect) {
  const lane = d.indexedBy('inbox_open_lane');
  return {
    nextLane: `SELECT member_id, lane FROM inbox${lane}
       WHERE state IN ('pending', 'processing') AND member_id = ? AND lane > ?
       ORDER BY lane LIMIT 1`,
    nextPortal: `SELECT member_id, lane FROM inbox${lane}
       WHERE state IN ('pending', 'processing') AND member_id > ?
       ORDER BY member_id, lane LIMIT 1`,
    runnable: `SELECT i.id FROM inbox i${lane}
       WHERE i.member_id = ? AND i.lane = ? AND i.state IN ('pending', 'processing')
         AND ((i.state = 'pending' AND i.next_attempt_at <= ?) OR (i.state = 'processing' AND i.locked_until < ?))
         AND NOT EXISTS (SELECT 1 FROM inbox j${d.indexedBy('inbox_open_object')}
                         WHERE j.member_id = i.member_id AND j.object_key = i.object_key
                           AND j.id < i.id AND j.state IN ('pending', 'processing'))
       ORDER BY i.id LIMIT ?${d.skipLocked('i')}`,
    claim: `WITH fin(id) AS (${d.jsonIds()}),
            take(id) AS (${d.jsonIds()})
       UPDATE inbox SET
         state = CASE WHEN id IN (SELECT id FROM fin) THEN 'done' ELSE 'processing' END,
         finished_at = CASE WHEN id IN (SELECT id FROM fin) THEN ? ELSE finished_at END,
         last_error = CASE WHEN id IN (SELECT id FROM fin) THEN NULL ELSE last_error END,
         attempts = CASE WHEN id IN (SELECT id FROM fin) THEN attempts ELSE attempts + 1 END,
         locked_until = CASE WHEN id IN (SELECT id FROM fin) THEN locked_until ELSE ? END
       WHERE id IN (SELECT id FROM fin UNION ALL SELECT id FROM take)
         AND (id IN (SELECT id FROM fin) OR (state = 'pending' AND next_attempt_at <= ?)
              OR (state = 'processing' AND locked_until < ?))
       RETURNING *`,
    nextDue: `SELECT MIN(CASE WHEN state = 'pending' THEN next_attempt_at ELSE locked_until END) AS t
       FROM inbox${lane} WHERE state IN ('pending', 'processing')`,
  };
}

const SQLITE = inboxSql(sqliteDialect);
/** SQLite's statements, exported so tests can hold their query plans. */
export const NEXT_LANE_SQL = SQLITE.nextLane;
export const NEXT_PORTAL_SQL = SQLITE.nextPortal;
export const RUNNABLE_SQL = SQLITE.runnable;
export const CLAIM_SQL = SQLITE.claim;

/** The kind of object an event is about, from its key ("chat:17" → "chat"): its lane in the claim. */
export function laneOf(objectKey: string): string {
  const i = objectKey.indexOf(':');
  return i < 0 ? objectKey : objectKey.slice(0, i);
}

/** How a claim shares the worker between portals. */
export interface ClaimShare {
  /** rows of one portal in flight at once, counting those already running */
  perPortal: number;
  /** rows already running, per portal */
  running: ReadonlyMap<string, number>;
  /** rows already running, per lane (keys from laneKey()) */
  runningLanes?: ReadonlyMap<string, number>;
}

/** A lane's key in ClaimShare.runningLanes. */
export function laneKey(memberId: string, lane: string): string {
  return `${memberId}\u0000${lane}`;
}

/** One portal's unfinished and dead rows per state (exported so a test can hold its query plan). */
export const BACKLOG_SQL = `SELECT state, COUNT(*) AS n FROM inbox
       WHERE member_id = ? AND state IN ('pending', 'processing', 'dead') GROUP BY state`;

function toRow(r: any): InboxRow {
  return {
    id: r.id,
    memberId: r.member_id,
    dedupKey: r.dedup_key,
    event: r.event,
    objectKey: r.object_key,
    source: r.source,
    payload: JSON.parse(r.payload),
    receivedAt: r.received_at,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastError: r.last_error,
    finishedAt: r.finished_at,
  };
}

export class InboxRepository {
  private readonly sql: ReturnType<typeof inboxSql>;
  constructor(private readonly db: Database) {
    this.sql = inboxSql(db.dialect);
  }

  /**
   * Inserts rows in one transaction (one fsync for the lot); a row whose dedup key is
   * already stored is skipped. Returns, per row, whether it was new.
   */
  async insertMany(rows: NewInboxRow[]): Promise<boolean[]> {
    if (rows.length === 0) return [];
    // One statement, so one round trip and one implicit transaction for the whole batch;
    // RETURNING lists only the rows that were new (duplicates are ignored, not returned).
    const values = rows.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
    const params = rows.flatMap((r) => [
      r.memberId,
      r.dedupKey,
      r.event,
      r.objectKey,
      laneOf(r.objectKey),
      r.source,
      JSON.stringify(r.payload),
      r.receivedAt,
    ]);
    const fresh = await this.db.durably<{ dedup_key: string }>(
      `INSERT INTO inbox (member_id, dedup_key, event, object_key, lane, source, payload, received_at)
       VALUES ${values} ON CONFLICT DO NOTHING RETURNING dedup_key`,
      params,
    );
    const freshKeys = new Set(fresh.map((r) => r.dedup_key));
    // A key repeated inside one batch is new only at its first occurrence.
    const claimed = new Set<string>();
    return rows.map((r) => {
      if (!freshKeys.has(r.dedupKey) || claimed.has(r.dedupKey)) return false;
      claimed.add(r.dedupKey);
      return true;
    });
  }

  /**
   * Claims up to `limit` runnable rows: due, and with no earlier unfinished row of the same
   * object, so one object's events run in order and one at a time (a row in flight is
   * 'processing' and holds back its object's later rows). A claimed row is leased until
   * `leaseUntil`; a row whose lease lapsed (its process died) is runnable again.
   *
   * Portals share the claim: each gets at most `share.perPortal` rows in flight. Within a
   * portal each kind of object (its lane: chats, leads) is read separately, and free places go
   * to the lanes running the fewest rows first (choose()), so neither a portal with thousands
   * of leads waiting nor those leads themselves crowd out a new dialog.
   *
   * The same statement marks `finished` rows done, so the worker's bookkeeping costs one commit
   * per round, not two (a finished row still holds back its object's next row within this
   * round; that one comes next round). Neither mark is fsynced: losing one to a power cut only
   * runs an event again, which handlers allow (Database.unsynced).
   */
  async claim(
    now: number,
    leaseUntil: number,
    limit: number,
    finished: number[] = [],
    share: ClaimShare = { perPortal: limit, running: new Map() },
  ): Promise<InboxRow[]> {
    const args = (take: number[]) => [
      JSON.stringify(finished),
      JSON.stringify(take),
      now,
      leaseUntil,
      now,
      now,
    ];
    let rows: any[];
    if (this.db.dialect.name === 'sqlite') {
      // One writer at a time: choosing, then claiming what is still runnable, cannot collide.
      const take = limit > 0 ? await this.choose(this.db, now, limit, share) : [];
      if (take.length === 0 && finished.length === 0) return [];
      rows = await this.db.unsynced<any>(this.sql.claim, args(take));
    } else {
      // Instances claim side by side: the chosen rows stay locked to the claim's commit, and
      // another instance's choice skips them.
      rows = await this.db.transaction(
        async (tx) => {
          const take = limit > 0 ? await this.choose(tx, now, limit, share) : [];
          if (take.length === 0 && finished.length === 0) return [];
          return tx.all<any>(this.sql.claim, args(take));
        },
        { unsynced: true },
      );
    }
    return rows
      .filter((r) => r.state === 'processing')
      .map(toRow)
      .sort((a, b) => a.id - b.id);
  }

  /**
   * The ids to claim: every lane's runnable rows up to its portal's room, dealt least-served
   * lane first. A lane's k-th row ranks as (rows the lane already runs + k), ties to the older
   * row; so a lane with nothing running (a portal's first new dialog while a dozen of its
   * leads wait on the portal's limit, or another portal) gets the next free place, and the
   * rest go round by round. A portal never gets past its room.
   */
  private async choose(q: Queryable, now: number, limit: number, share: ClaimShare): Promise<number[]> {
    const room = new Map<string, number>();
    const offers: { memberId: string; id: number; rank: number }[] = [];
    type Lane = { member_id: string; lane: string };
    const after = async (l: Lane) =>
      (await q.get<Lane>(this.sql.nextLane, [l.member_id, l.lane])) ??
      (await q.get<Lane>(this.sql.nextPortal, [l.member_id]));
    for (let at = await q.get<Lane>(this.sql.nextPortal, ['']); at; at = await after(at)) {
      const left =
        room.get(at.member_id) ?? Math.min(limit, share.perPortal - (share.running.get(at.member_id) ?? 0));
      room.set(at.member_id, left);
      if (left <= 0) continue;
      const ids = await q.all<{ id: number }>(this.sql.runnable, [at.member_id, at.lane, now, now, left]);
      const base = share.runningLanes?.get(laneKey(at.member_id, at.lane)) ?? 0;
      ids.forEach((r, k) => {
        offers.push({ memberId: at.member_id, id: r.id, rank: base + k });
      });
    }
    offers.sort((a, b) => a.rank - b.rank || a.id - b.id);
    const take: number[] = [];
    for (const o of offers) {
      if (take.length >= limit) break;
      const left = room.get(o.memberId) ?? 0;
      if (left <= 0) continue;
      room.set(o.memberId, left - 1);
      take.push(o.id);
    }
    return take;
  }

  /** Marks many rows done in one statement (the worker batches its completions). */
  async markManyDone(ids: number[], now: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.unsynced(
      `UPDATE inbox SET state = 'done', finished_at = ?, last_error = NULL WHERE id IN (${ids.map(() => '?').join(',')})`,
      [now, ...ids],
    );
  }

  async renewLease(ids: number[], leaseUntil: number): Promise<void> {
    if (ids.length === 0) return;
    await this.db.unsynced(
      `UPDATE inbox SET locked_until = ? WHERE state = 'processing' AND id IN (${ids.map(() => '?').join(',')})`,
      [leaseUntil, ...ids],
    );
  }

  async markDone(id: number, now: number): Promise<void> {
    await this.db.run(`UPDATE inbox SET state = 'done', finished_at = ?, last_error = NULL WHERE id = ?`, [
      now,
      id,
    ]);
  }

  /** Back to pending until `nextAttemptAt`; an `uncounted` retry (a deferral) gives its attempt back. */
  async markRetry(
    id: number,
    nextAttemptAt: number,
    error: string,
    o: { uncounted?: boolean } = {},
  ): Promise<void> {
    await this.db.run(
      `UPDATE inbox SET state = 'pending', next_attempt_at = ?, last_error = ?,
         attempts = attempts - ? WHERE id = ?`,
      [nextAttemptAt, error, o.uncounted ? 1 : 0, id],
    );
  }

  async markDead(id: number, now: number, error: string): Promise<void> {
    await this.db.run(`UPDATE inbox SET state = 'dead', finished_at = ?, last_error = ? WHERE id = ?`, [
      now,
      error,
      id,
    ]);
  }

  /**
   * The soonest moment a pending row becomes due, or undefined if none is pending. It reads
   * the unfinished rows only (named index: never the finished ones).
   */
  async nextDueAt(): Promise<number | undefined> {
    const r = await this.db.get<{ t: number | null }>(this.sql.nextDue);
    return r?.t ?? undefined;
  }

  /**
   * What is still to do or gave up: pending, processing and dead rows of one portal. Finished
   * rows (most of a 14-day inbox) are not read: each state is a range of the (member_id,
   * state, id) index, so this costs what the backlog is, not what the history is.
   */
  async backlog(memberId: string): Promise<{ pending: number; processing: number; dead: number }> {
    const rows = await this.db.all<{ state: 'pending' | 'processing' | 'dead'; n: number }>(BACKLOG_SQL, [
      memberId,
    ]);
    const out = { pending: 0, processing: 0, dead: 0 };
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  async listDead(memberId: string, limit = 50): Promise<InboxRow[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM inbox WHERE member_id = ? AND state = 'dead' ORDER BY id DESC LIMIT ?`,
      [memberId, limit],
    );
    return rows.map(toRow);
  }

  async findByDedupKey(dedupKey: string): Promise<InboxRow | undefined> {
    const r = await this.db.get<any>('SELECT * FROM inbox WHERE dedup_key = ?', [dedupKey]);
    return r ? toRow(r) : undefined;
  }

  async list(filter: { memberId?: string; event?: string; state?: string } = {}): Promise<InboxRow[]> {
    const where: string[] = [];
    const params: string[] = [];
    for (const [col, v] of [
      ['member_id', filter.memberId],
      ['event', filter.event],
      ['state', filter.state],
    ] as const) {
      if (v !== undefined) {
        where.push(`${col} = ?`);
        params.push(v);
      }
    }
    const rows = await this.db.all<any>(
      `SELECT * FROM inbox ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY id`,
      params,
    );
    return rows.map(toRow);
  }
}
