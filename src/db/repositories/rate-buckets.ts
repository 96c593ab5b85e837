import type { Store as Database } from '../store.ts';

export interface BucketTerms {
  /** tokens the bucket holds when full (the portal's burst) */
  burst: number;
  /** tokens added per second (the portal's drain rate) */
  perSecond: number;
  /** tokens that must stay in the bucket after this take (a lower priority's reserve) */
  reserve?: number;
}

/**
 * The per-portal REST token bucket in the store, so every process of every instance takes
 * from the same one. A take is one statement: refill by the time since the last take, then
 * take one token if at least 1 + reserve are there. Times are each process's clock; a clock
 * behind the row's is treated as no time passed, never as tokens owed.
 */
export class RateBucketRepository {
  private readonly takeSql: string;
  constructor(private readonly db: Database) {
    const d = db.dialect;
    // Typed, so PostgreSQL reads a fractional rate as one (SQLite's affinity makes it REAL too).
    const num = 'CAST(? AS DOUBLE PRECISION)';
    const elapsed = d.greatest('0', '? - rate_buckets.updated_at');
    const level = d.least(num, `rate_buckets.tokens + ${elapsed} * ${num} / 1000.0`);
    this.takeSql = `INSERT INTO rate_buckets (member_id, tokens, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (member_id) DO UPDATE SET tokens = ${level} - 1,
         updated_at = ${d.greatest('rate_buckets.updated_at', '?')}
       WHERE ${level} >= 1 + ${num}
       RETURNING tokens`;
  }

  /**
   * Takes a token at `now`: 0 when taken, else the milliseconds until one will be there
   * (the caller waits and tries again; another process may take it first).
   */
  async take(memberId: string, t: BucketTerms, now: number): Promise<number> {
    const reserve = t.reserve ?? 0;
    const rows = await this.db.unsynced<{ tokens: number }>(this.takeSql, [
      memberId,
      t.burst - 1,
      now,
      t.burst,
      now,
      t.perSecond,
      now,
      t.burst,
      now,
      t.perSecond,
      reserve,
    ]);
    if (rows.length > 0) return 0;
    const r = await this.db.get<{ tokens: number; updated_at: number }>(
      'SELECT tokens, updated_at FROM rate_buckets WHERE member_id = ?',
      [memberId],
    );
    if (!r) return 1;
    const level = Math.min(t.burst, r.tokens + (Math.max(0, now - r.updated_at) * t.perSecond) / 1000);
    return Math.max(1, Math.ceil(((1 + reserve - level) * 1000) / t.perSecond));
  }
}
