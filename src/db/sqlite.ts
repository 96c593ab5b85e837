import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sqlite3 from 'sqlite3';

export type Param = string | number | bigint | null | Buffer;
export type Params = Param[] | Record<string, Param>;

/** The statements a repository may run; both the database and a transaction offer them. */
export interface Queryable {
  run(sql: string, params?: Params): Promise<{ changes: number; lastID: number }>;
  get<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T | undefined>;
  all<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  exec(sql: string): Promise<void>;
}

/**
 * A promise wrapper over one sqlite3 connection.
 *
 * One connection means every statement shares one transaction state, so a transaction must
 * not let unrelated statements slip in between its BEGIN and COMMIT. All access therefore
 * goes through one FIFO lock: a plain statement holds it for itself, a transaction for its
 * whole body. SQLite executes one statement at a time on a connection anyway, so the lock
 * costs ordering, not throughput. Work a request is waiting on may go first (durably()).
 */
export class Database implements Queryable {
  private busy = false;
  /** statements a portal is waiting on (accepting an event) go before background work */
  private readonly urgent: (() => void)[] = [];
  private readonly waiting: (() => void)[] = [];

  private constructor(private readonly db: sqlite3.Database) {}

  static async open(path: string, opts: { busyTimeoutMs?: number } = {}) {
    if (path !== ':memory:' && !path.startsWith('file:')) mkdirSync(dirname(path), { recursive: true });
    const raw = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(d)));
    });
    raw.configure('busyTimeout', opts.busyTimeoutMs ?? 5000);
    const db = new Database(raw);
    // WAL lets readers (the dashboard) run beside the writer; FULL puts every commit on disk
    // before it returns, so an event answered 200 survives even a power cut. (Measured here:
    // one FULL statement is cheaper than switching to FULL and back around the inbox insert.)
    await db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;');
    if (path !== ':memory:') await db.startCheckpointer(path);
    return db;
  }

  private checkpointer: { db: sqlite3.Database; timer: NodeJS.Timeout } | undefined;

  /**
   * An automatic WAL checkpoint runs inside whichever commit crosses the threshold, and
   * copying megabytes back into the database file there stalls that commit (and the portal
   * waiting on it) for tens of milliseconds. Checkpoints therefore run from a second
   * connection in the background (PASSIVE: they never block writers); the automatic one
   * stays as a far-off safety net.
   */
  private async startCheckpointer(path: string): Promise<void> {
    await this.exec('PRAGMA wal_autocheckpoint = 20000');
    const cp = await new Promise<sqlite3.Database>((resolve, reject) => {
      const d = new sqlite3.Database(path, (err) => (err ? reject(err) : resolve(d)));
    });
    cp.configure('busyTimeout', 1000);
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      cp.exec('PRAGMA wal_checkpoint(PASSIVE)', () => {
        running = false;
      });
    }, 250);
    timer.unref();
    this.checkpointer = { db: cp, timer };
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
    return this.locked(() => rawRun(this.db, sql, params));
  }
  get<T = Record<string, unknown>>(sql: string, params: Params = []) {
    return this.locked(() => rawGet<T>(this.db, sql, params));
  }
  all<T = Record<string, unknown>>(sql: string, params: Params = []) {
    return this.locked(() => rawAll<T>(this.db, sql, params));
  }
  exec(sql: string) {
    return this.locked(() => rawExec(this.db, sql));
  }

  /**
   * Runs one statement someone is waiting on (the portal, for its 200): it goes before
   * queued background work. Like every commit here, it is on disk when it resolves.
   */
  durably<T = Record<string, unknown>>(sql: string, params: Params = []): Promise<T[]> {
    return this.locked(() => rawAll<T>(this.db, sql, params), true);
  }

  /**
   * Runs `fn` inside BEGIN IMMEDIATE … COMMIT, rolling back if it throws. `fn` must use the
   * handle it is given (not the Database), or it would wait for its own lock.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.locked(async () => {
      const tx: Queryable = {
        run: (sql, p = []) => rawRun(this.db, sql, p),
        get: (sql, p = []) => rawGet(this.db, sql, p),
        all: (sql, p = []) => rawAll(this.db, sql, p),
        exec: (sql) => rawExec(this.db, sql),
      };
      await rawExec(this.db, 'BEGIN IMMEDIATE');
      try {
        const result = await fn(tx);
        await rawExec(this.db, 'COMMIT');
        return result;
      } catch (err) {
        await rawExec(this.db, 'ROLLBACK').catch(() => undefined);
        throw err;
      }
    });
  }

  async close(): Promise<void> {
    if (this.checkpointer) {
      clearInterval(this.checkpointer.timer);
      const cp = this.checkpointer.db;
      this.checkpointer = undefined;
      await new Promise<void>((resolve) => cp.close(() => resolve()));
    }
    return this.locked(
      () => new Promise<void>((resolve, reject) => this.db.close((err) => (err ? reject(err) : resolve()))),
    );
  }
}

function rawRun(db: sqlite3.Database, sql: string, params: Params) {
  return new Promise<{ changes: number; lastID: number }>((resolve, reject) => {
    db.run(sql, params, function (this: sqlite3.RunResult, err: Error | null) {
      if (err) reject(err);
      else resolve({ changes: this.changes, lastID: this.lastID });
    });
  });
}
function rawGet<T>(db: sqlite3.Database, sql: string, params: Params) {
  return new Promise<T | undefined>((resolve, reject) => {
    db.get(sql, params, (err: Error | null, row: T) => (err ? reject(err) : resolve(row)));
  });
}
function rawAll<T>(db: sqlite3.Database, sql: string, params: Params) {
  return new Promise<T[]>((resolve, reject) => {
    db.all(sql, params, (err: Error | null, rows: T[]) => (err ? reject(err) : resolve(rows)));
  });
}
function rawExec(db: sqlite3.Database, sql: string) {
  return new Promise<void>((resolve, reject) => db.exec(sql, (err) => (err ? reject(err) : resolve())));
}
