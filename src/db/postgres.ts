import pg from 'pg';
import type { Params, Queryable } from './sqlite.ts';
import { type Dialect, postgresDialect, type Store, type TransactionOptions } from './store.ts';

/**
 * PostgreSQL behind the same promise API as the SQLite store (DATABASE_URL selects it).
 *
 * Repositories write `?` placeholders (the SQL both accept); they are numbered here ($1, $2,
 * …) once per statement text, skipping quoted strings. BIGINT, COUNT and SUM come back as JS
 * numbers: every integer the app stores (unix ms, ids) is far below 2^53.
 */
export class PgStore implements Store {
  readonly dialect: Dialect = postgresDialect;
  private readonly texts = new Map<string, string>();
  private readonly raw: Queryable;

  /** per lock name, the last of this process's callers in line (see withLock) */
  private readonly lockTails = new Map<string, Promise<unknown>>();

  private constructor(
    readonly pool: pg.Pool,
    /** connections whose commits do not wait for the WAL flush (Store.unsynced) */
    private readonly lazy: pg.Pool,
    /** connections that hold session advisory locks (withLock), apart from the work's own */
    private readonly lockPool: pg.Pool,
    readonly url: string,
    /**
     * Advisory locks are the database's, not the schema's: a deployment in a schema of its own
     * (DATABASE_SCHEMA) prefixes its lock names with it, so two deployments sharing one
     * PostgreSQL database never wait for, or exclude, each other.
     */
    private readonly lockScope = '',
  ) {
    this.raw = this.on(pool);
  }

  static async open(url: string, o: { max?: number; schema?: string } = {}): Promise<PgStore> {
    if (o.schema) {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${o.schema}`);
      } catch (err) {
        // two processes creating it at once: one wins, the other finds it there
        if ((err as { code?: string }).code !== '23505') throw err;
      } finally {
        await c.end();
      }
    }
    const path = o.schema ? `-c search_path=${o.schema}` : '';
    const base = { connectionString: url, types: TYPES, max: o.max ?? 10, options: path || undefined };
    const pool = new pg.Pool(base);
    const lazy = new pg.Pool({ ...base, max: 2, options: `${path} -c synchronous_commit=off` });
    const locks = new pg.Pool({ ...base, max: 8 });
    // A dropped idle connection is replaced on the next query; it must not crash the process.
    pool.on('error', () => undefined);
    lazy.on('error', () => undefined);
    locks.on('error', () => undefined);
    const store = new PgStore(pool, lazy, locks, url, o.schema ? `${o.schema}:` : '');
    await store.get('SELECT 1');
    return store;
  }

  /** The statements of one connection or of the pool, in this store's placeholder style. */
  private on(c: pg.Pool | pg.PoolClient): Queryable {
    const q = async (sql: string, params: Params = []) => c.query(this.text(sql), values(params));
    return {
      run: async (sql, p) => {
        const r = await q(sql, p);
        return { changes: r.rowCount ?? 0, lastID: 0 };
      },
      get: async <T>(sql: string, p?: Params) => (await q(sql, p)).rows[0] as T | undefined,
      all: async <T>(sql: string, p?: Params) => (await q(sql, p)).rows as T[],
      exec: async (sql) => {
        await c.query(sql);
      },
    };
  }

  run(sql: string, params?: Params) {
    return this.raw.run(sql, params);
  }
  get<T = Record<string, unknown>>(sql: string, params?: Params) {
    return this.raw.get<T>(sql, params);
  }
  all<T = Record<string, unknown>>(sql: string, params?: Params) {
    return this.raw.all<T>(sql, params);
  }
  exec(sql: string) {
    return this.raw.exec(sql);
  }
  durably<T = Record<string, unknown>>(sql: string, params?: Params) {
    return this.raw.all<T>(sql, params);
  }
  async unsynced<T = Record<string, unknown>>(sql: string, params: Params = []) {
    return (await this.lazy.query(this.text(sql), values(params))).rows as T[];
  }

  /** BEGIN … COMMIT on one connection; `o.lock` names an advisory lock held until the end. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, o: TransactionOptions = {}): Promise<T> {
    // This process's callers of one lock take turns before they take a connection, so a
    // queue of them never holds the whole pool waiting for a lock.
    if (o.lock) return this.inTurn(`tx:${o.lock}`, () => this.transactionNow(fn, o));
    return this.transactionNow(fn, o);
  }

  private async transactionNow<T>(fn: (tx: Queryable) => Promise<T>, o: TransactionOptions): Promise<T> {
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      if (o.unsynced) await c.query('SET LOCAL synchronous_commit = off');
      if (o.lock) await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.lockScope + o.lock]);
      const result = await fn(this.on(c));
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      c.release();
    }
  }

  /**
   * Runs `fn` while holding the session advisory lock `name`: no other process of any
   * instance runs under the same name meanwhile, and if this process dies its connection
   * closes and the lock goes with it. The lock sits on a connection of a pool of its own, and
   * this process's callers of one name queue in memory first: waiting for a lock never takes
   * the connections that the holder's own work (`fn`) needs.
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.inTurn(`lock:${name}`, async () => {
      const c = await this.lockPool.connect();
      let broken = false;
      try {
        await c.query('SELECT pg_advisory_lock(hashtext($1))', [this.lockScope + name]);
        try {
          return await fn();
        } finally {
          await c.query('SELECT pg_advisory_unlock(hashtext($1))', [this.lockScope + name]).catch(() => {
            broken = true;
          });
        }
      } finally {
        c.release(broken);
      }
    });
  }

  /** `fn` after every earlier caller of `key` in this process has finished. */
  private async inTurn<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.lockTails.get(key) ?? Promise.resolve();
    const mine = prev.then(fn, fn);
    const tail = mine.catch(() => undefined);
    this.lockTails.set(key, tail);
    try {
      return await mine;
    } finally {
      if (this.lockTails.get(key) === tail) this.lockTails.delete(key);
    }
  }

  /** Every read here is a query: there is no cheap sign of another process's commit. */
  changeMark(): null {
    return null;
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.lazy.end(), this.lockPool.end()]);
  }

  private text(sql: string): string {
    let t = this.texts.get(sql);
    if (t === undefined) {
      t = numberPlaceholders(sql);
      if (this.texts.size > 1000) this.texts.clear();
      this.texts.set(sql, t);
    }
    return t;
  }
}

/** `?` → `$1`, `$2`, … outside quoted strings, identifiers and comments. */
export function numberPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < sql.length; i++) {
    const ch = sql[i]!;
    if (ch === "'" || ch === '"') {
      const end = sql.indexOf(ch, i + 1);
      const stop = end < 0 ? sql.length : end + 1;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (ch === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? sql.length : end;
      out += sql.slice(i, stop);
      i = stop - 1;
    } else if (ch === '?') {
      out += `$${++n}`;
    } else out += ch;
  }
  return out;
}

function values(params: Params): unknown[] {
  if (!Array.isArray(params)) throw new Error('the PostgreSQL store takes positional parameters only');
  return params.map((v: unknown) => {
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v === undefined) return null;
    if (v instanceof Date) return v.getTime();
    if (typeof v === 'bigint') return v.toString();
    return v;
  });
}

const asNumber = (v: string) => Number(v);
/** int8 (BIGINT, COUNT) and numeric (SUM) as numbers; the rest as node-postgres reads them. */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20 || oid === 1700) return asNumber;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;
