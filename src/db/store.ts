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
 * The SQL that differs between SQLite and PostgreSQL, as small fragments a repository splices
 * into its one statement text. Everything else is written once in the SQL both accept
 * (`?` placeholders, `ON CONFLICT … DO UPDATE`, `RETURNING`, `IS DISTINCT FROM`, integers for
 * booleans); the PostgreSQL store numbers the placeholders itself.
 */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  /** a planner hint SQLite needs to pick a partial index; PostgreSQL plans with statistics */
  indexedBy(index: string): string;
  /** the larger of two or more values (SQLite's scalar MAX, PostgreSQL's GREATEST) */
  greatest(...exprs: string[]): string;
  /** the smaller of two or more values (SQLite's scalar MIN, PostgreSQL's LEAST) */
  least(...exprs: string[]): string;
  /** a subquery of the integers in a JSON array bound at `param` */
  jsonIds(param?: string): string;
  /** an integer field of a JSON text column */
  jsonInt(column: string, field: string): string;
  /** row locks for a claim: PostgreSQL's FOR UPDATE … SKIP LOCKED; SQLite has one writer anyway */
  skipLocked(alias: string): string;
}

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  indexedBy: (index) => ` INDEXED BY ${index}`,
  greatest: (...e) => `MAX(${e.join(', ')})`,
  least: (...e) => `MIN(${e.join(', ')})`,
  jsonIds: (p = '?') => `SELECT value FROM json_each(${p})`,
  jsonInt: (c, f) => `json_extract(${c}, '$.${f}')`,
  skipLocked: () => '',
};

export const postgresDialect: Dialect = {
  name: 'postgres',
  indexedBy: () => '',
  greatest: (...e) => `GREATEST(${e.join(', ')})`,
  least: (...e) => `LEAST(${e.join(', ')})`,
  jsonIds: (p = '?') => `SELECT value::bigint FROM json_array_elements_text(${p}::json)`,
  jsonInt: (c, f) => `((${c})::json->>'${f}')::bigint`,
  skipLocked: (alias) => ` FOR UPDATE OF ${alias} SKIP LOCKED`,
};

export interface TransactionOptions {
  /**
   * Transactions that read, decide and write under one name exclude each other across every
   * process (a PostgreSQL advisory lock held to COMMIT). SQLite's BEGIN IMMEDIATE already
   * excludes every other writer, so there it costs nothing.
   */
  lock?: string;
  /** the commit need not wait for the disk (Store.unsynced's terms) */
  unsynced?: boolean;
}

/**
 * The database the repositories speak to: SQLite (one file, the default) or PostgreSQL
 * (DATABASE_URL). Both offer the same statements, transactions and change notices.
 */
export interface Store extends Queryable {
  readonly dialect: Dialect;
  /** a statement someone is waiting on (the portal's 200): goes before background work */
  durably<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  /** a statement whose loss in a power cut costs only a repeat (no fsync / no sync commit) */
  unsynced<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
  transaction<T>(fn: (tx: Queryable) => Promise<T>, o?: TransactionOptions): Promise<T>;
  /**
   * Runs `fn` while no other process of any instance runs under the same `name` (a lead
   * queue's turn, a queue's evenly order). The lock dies with its holder: PostgreSQL frees a
   * session advisory lock with the connection; SQLite's is a row lease that runs out.
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * A number that moves whenever another connection (another process) may have committed:
   * SQLite's PRAGMA data_version, read without I/O. Unchanged means nothing anyone else wrote
   * can be newer than what this process last read. null: the store cannot tell without a
   * query (PostgreSQL), so a reader that must be current reads.
   */
  changeMark(): number | null;
  close(): Promise<void>;
}
