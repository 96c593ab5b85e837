import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Worker } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import {
  type Dialect,
  type Params,
  type Queryable,
  type Store,
  sqliteDialect,
  type TransactionOptions,
} from './store.ts';

// The statement types live with the Store interface (store.ts); re-exported for the repositories.
export type { Param, Params, Queryable } from './store.ts';

export interface OpenOptions {
  /** how long a statement keeps retrying while another connection holds the lock */
  busyTimeoutMs?: number;
  /** how often the background thread checkpoints the WAL */
  checkpointEveryMs?: number;
  /** WAL length (pages) past which the checkpoint also restarts the log */
  restartWalAfterFrames?: number;
}

type Conn = BetterSqlite3.Database;
type Stmt = BetterSqlite3.Statement<unknown[], unknown>;

const STATEMENT_CACHE = 256;
const LOCK_TTL_MS = 30_000;
/** how long a statement keeps retrying while another process holds the write lock */
const DEFAULT_BUSY_MS = 5000;

/**
 * One SQLite connection behind a promise API.
 *
 * Statements execute synchronously on the calling thread (better-sqlite3). A statement here
 * takes microseconds, and a commit one fsync (a fraction of a millisecond); handing each to a
 * thread pool, as the asynchronous driver did, cost two thread wake-ups per statement, and on
 * a busy machine a wake-up can wait for a CPU for milliseconds. That wait, not SQLite, was the
 * tail of the intake's latency (bench/results).
 *
 * The promise API stays because transactions span awaits (a handler may read, decide, and
 * write): one FIFO lock keeps every other statement out from BEGIN to COMMIT. Work a request
 * is waiting on may go first (durably()).
 *
 * Never block the event loop on another process's lock: the connection's own busy timeout is
 * 0, and a statement that finds the database locked (a CLI job committing beside the server,
 * or a second connection in the same process) is retried after a short timer instead.
 */
export class Database implements Store {
  readonly dialect: Dialect = sqliteDialect;
  private busy = false;
  /** statements a portal is waiting on (accepting an event) go before background work */
  private readonly urgent: (() => void)[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly statements = new Map<string, Stmt>();
  private checkpointer: Worker | undefined;
  private readonly raw: Queryable;
  private readonly lockTails = new Map<string, Promise<unknown>>();
  /** this connection in store_locks: one holder per connection, its callers queue in memory first */
  private readonly lockHolder = `${process.pid}:${randomUUID()}`;

  private constructor(
    private readonly db: Conn,
    private readonly busyMs: number,
  ) {
    this.raw = {
      run: async (sql, p) => this.retrying(() => this.runNow(sql, p)),
      get: async (sql, p) => this.retrying(() => this.getNow(sql, p)),
      all: async (sql, p) => this.retrying(() => this.allNow(sql, p)),
      exec: async (sql) => this.retrying(() => void this.db.exec(sql)),
    };
  }

  static async open(path: string, opts: OpenOptions = {}) {
    const file = path !== ':memory:' && !path.startsWith('file:');
    if (file) mkdirSync(dirname(path), { recursive: true });
    const raw = new BetterSqlite3(path, { timeout: 0 });
    const db = new Database(raw, opts.busyTimeoutMs ?? DEFAULT_BUSY_MS);
    // WAL lets readers (the dashboard, a CLI job) run beside the writer; FULL puts every commit
    // on disk before it returns, so an event answered 200 survives even a power cut.
    await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
    if (file) await db.startCheckpointer(path, opts);
    return db;
  }

  /**
   * An automatic WAL checkpoint runs inside whichever commit crosses the threshold, copying
   * pages back into the database file and fsyncing it; on this thread that would stall every
   * request behind it. Checkpoints therefore run on their own thread and connection (see
   * CHECKPOINTER below); the automatic one stays as a far-off safety net.
   */
  private async startCheckpointer(path: string, o: OpenOptions): Promise<void> {
    await this.exec('PRAGMA wal_autocheckpoint = 20000');
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const w = new Worker(CHECKPOINTER, {
      eval: true,
      workerData: {
        driver,
        path,
        everyMs: o.checkpointEveryMs ?? 250,
        restartFrames: o.restartWalAfterFrames ?? 5000,
      },
    });
    w.unref();
    // Without the thread (it could not open the file), SQLite's own checkpoint takes over at
    // its usual size, inside commits: slower, never unbounded.
    w.on('error', () => {
      if (this.checkpointer === w) void this.exec('PRAGMA wal_autocheckpoint = 1000').catch(() => undefined);
    });
    this.checkpointer = w;
  }

  private locked<T>(fn: () => Promise<T>, urgent = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job = () => {
        fn()
          .then(resolve, reject)
          .finally(() => {
            this.busy = false;
            this.runNext();
          });
      };
      (urgent ? this.urgent : this.waiting).push(job);
      if (!this.busy) this.runNext();
    });
  }

  private runNext(): void {
    const job = this.urgent.shift() ?? this.waiting.shift();
    if (!job) return;
    this.busy = true;
    job();
  }

  run(sql: string, params: Params = []) {
    return this.locked(() => this.raw.run(sql, params));
  }
  get<T = Record<string, unknown>>(sql: string, params: Params = []) {
    return this.locked(() => this.raw.get<T>(sql, params));
  }
  all<T = Record<string, unknown>>(sql: string, params: Params = []) {
    return this.locked(() => this.raw.all<T>(sql, params));
  }
  exec(sql: string) {
    return this.locked(() => this.raw.exec(sql));
  }

  /**
   * Runs one statement someone is waiting on (the portal, for its 200): it goes before
   * queued background work. Like every commit here, it is on disk when it resolves.
   */
  durably<T = Record<string, unknown>>(sql: string, params: Params = []): Promise<T[]> {
    return this.locked(() => this.raw.all<T>(sql, params), true);
  }

  /**
   * Runs one statement whose loss in a power cut costs nothing but a repeat: the worker's
   * claim and done marks, where a lost mark means the event runs again, which every handler
   * allows. It skips the commit's fsync (WAL with synchronous=NORMAL), so it does not stall
   * the thread the portal's requests wait on; a process crash still loses nothing, and the
   * next durable commit puts it on disk with everything before it.
   */
  unsynced<T = Record<string, unknown>>(sql: string, params: Params = []): Promise<T[]> {
    return this.locked(async () => {
      this.db.exec('PRAGMA synchronous = NORMAL');
      try {
        return await this.raw.all<T>(sql, params);
      } finally {
        this.db.exec('PRAGMA synchronous = FULL');
      }
    });
  }

  /**
   * Runs `fn` inside BEGIN IMMEDIATE … COMMIT, rolling back if it throws. `fn` must use the
   * handle it is given (not the Database), or it would wait for its own lock.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>, o: TransactionOptions = {}): Promise<T> {
    return this.locked(async () => {
      // Set outside the transaction: SQLite reads it at COMMIT (see unsynced()).
      if (o.unsynced) this.db.exec('PRAGMA synchronous = NORMAL');
      try {
        await this.raw.exec('BEGIN IMMEDIATE');
        try {
          const result = await fn(this.raw);
          this.db.exec('COMMIT');
          return result;
        } catch (err) {
          if (this.db.inTransaction) this.db.exec('ROLLBACK');
          throw err;
        }
      } finally {
        if (o.unsynced) this.db.exec('PRAGMA synchronous = FULL');
      }
    });
  }

  /**
   * Named locks across processes on one file: callers of this process queue in memory, then
   * the first takes a row lease in store_locks (30 s, renewed while held; a dead holder's runs
   * out), polling while another process holds it.
   */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.lockTails.get(name) ?? Promise.resolve();
    const mine = prev.then(() => this.leased(name, fn));
    const tail = mine.catch(() => undefined);
    this.lockTails.set(name, tail);
    try {
      return await mine;
    } finally {
      if (this.lockTails.get(name) === tail) this.lockTails.delete(name);
    }
  }

  private async leased<T>(name: string, fn: () => Promise<T>): Promise<T> {
    // Unsynced: a lease lost in a power cut is a lease nobody holds any more, which is the truth.
    const take = async () =>
      (
        await this.unsynced(
          `INSERT INTO store_locks (name, holder, expires_at) VALUES (?, ?, ?)
           ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
           WHERE store_locks.expires_at <= ? OR store_locks.holder = excluded.holder
           RETURNING name`,
          [name, this.lockHolder, Date.now() + LOCK_TTL_MS, Date.now()],
        )
      ).length === 1;
    while (!(await take())) await new Promise((r) => setTimeout(r, 5));
    const renew = setInterval(() => void take().catch(() => undefined), LOCK_TTL_MS / 3);
    renew.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await this.unsynced('DELETE FROM store_locks WHERE name = ? AND holder = ?', [name, this.lockHolder]);
    }
  }

  /**
   * SQLite's count of commits by other connections to this file: unchanged means no other
   * process (a CLI job) wrote since the last look, so a read-through cache can skip its check.
   */
  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number;
  }

  changeMark(): number {
    return this.dataVersion();
  }

  async close(): Promise<void> {
    const cp = this.checkpointer;
    this.checkpointer = undefined;
    if (cp) await cp.terminate();
    return this.locked(async () => {
      this.statements.clear();
      this.db.close();
    });
  }

  private prepare(sql: string): Stmt {
    let s = this.statements.get(sql);
    if (s) {
      // least recently used goes first when the cache is full
      this.statements.delete(sql);
    } else {
      s = this.db.prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE) {
        this.statements.delete(this.statements.keys().next().value as string);
      }
    }
    this.statements.set(sql, s);
    return s;
  }

  private runNow(sql: string, params: Params = []) {
    const s = this.prepare(sql);
    if (s.reader) return { changes: bind(s, params, 'all').length, lastID: 0 };
    const r = bind(s, params, 'run');
    return { changes: r.changes, lastID: Number(r.lastInsertRowid) };
  }
  private getNow<T>(sql: string, params: Params = []): T | undefined {
    const s = this.prepare(sql);
    if (!s.reader) {
      bind(s, params, 'run');
      return undefined;
    }
    return bind(s, params, 'get') as T | undefined;
  }
  private allNow<T>(sql: string, params: Params = []): T[] {
    const s = this.prepare(sql);
    if (!s.reader) {
      bind(s, params, 'run');
      return [];
    }
    return bind(s, params, 'all') as T[];
  }

  /** Runs `fn`; while another connection holds the lock, tries again on a timer. */
  private async retrying<T>(fn: () => T): Promise<T> {
    // Locks here are held for milliseconds (a commit, a checkpoint's last frames), so a short
    // fixed wait wastes less than a growing one; a failed attempt costs microseconds.
    const deadline = Date.now() + this.busyMs;
    for (;;) {
      try {
        return fn();
      } catch (err) {
        if (!isBusy(err) || Date.now() >= deadline) throw err;
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  }
}

function bind(s: Stmt, params: Params, how: 'run'): BetterSqlite3.RunResult;
function bind(s: Stmt, params: Params, how: 'get'): unknown;
function bind(s: Stmt, params: Params, how: 'all'): unknown[];
function bind(s: Stmt, params: Params, how: 'run' | 'get' | 'all') {
  // Positional parameters are spread; a named set is one object (keys without the prefix).
  return Array.isArray(params)
    ? (s[how] as any)(...params.map(sqlValue))
    : (s[how] as any)(Object.fromEntries(Object.entries(params).map(([k, v]) => [k, sqlValue(v)])));
}

/**
 * What the previous driver bound implicitly and better-sqlite3 refuses: a boolean is 1 or 0, a
 * Date its epoch milliseconds, undefined is NULL. The types rule these out; values read from
 * JSON at run time are not always typed.
 */
function sqlValue(v: unknown): unknown {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === undefined) return null;
  if (v instanceof Date) return v.getTime();
  return v;
}

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * The checkpointer thread's code: its own connection, a PASSIVE checkpoint every few hundred
 * ms. Under a steady stream of commits a PASSIVE checkpoint never catches the last frame (a
 * commit always lands while it copies), so the WAL is never restarted and grows to the
 * automatic limit (80 MB here), which slows every read and finally stalls a commit. Once the
 * log passes `restartFrames`, a RESTART checkpoint holds writers back for the few frames the
 * PASSIVE one left (a writer that meets it retries on a timer) and the next commit starts the
 * log from the beginning. Each restart delays the commits that meet it by a millisecond or
 * two, so it waits for a 20 MB log (5,000 frames) rather than restarting several times a second.
 */
const CHECKPOINTER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.path, { timeout: 50 });
setInterval(() => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    if (r && r.log > workerData.restartFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch {}
}, workerData.everyMs);
`;
