import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { openStore } from '../../src/db/open.ts';
import type { Store } from '../../src/db/store.ts';

/**
 * Which store the suite runs on: PostgreSQL when DATABASE_URL is set (npm test's second
 * pass), else a SQLite file per test. On PostgreSQL each test gets a schema of its own.
 */
export const TEST_PG_URL = process.env.DATABASE_URL || undefined;

export interface StoreEnv {
  DATABASE_PATH: string;
  DATABASE_URL?: string;
  DATABASE_SCHEMA?: string;
}

/** The environment of a fresh store under `dir` (SQLite) or in a fresh schema (PostgreSQL). */
export function freshStoreEnv(dir: string): StoreEnv {
  const env: StoreEnv = { DATABASE_PATH: join(dir, 'app.sqlite') };
  if (TEST_PG_URL) {
    env.DATABASE_URL = TEST_PG_URL;
    env.DATABASE_SCHEMA = `t_${randomBytes(6).toString('hex')}`;
  }
  return env;
}

/** A second handle on the store `env` names (what another process would open). */
export function openStoreOf(env: StoreEnv): Promise<Store> {
  return openStore({
    databasePath: env.DATABASE_PATH,
    databaseUrl: env.DATABASE_URL,
    databaseSchema: env.DATABASE_SCHEMA,
  });
}

/** Drops a test's PostgreSQL schema (nothing to do on SQLite: the directory goes). */
export async function dropStore(env: { DATABASE_URL?: string; DATABASE_SCHEMA?: string }): Promise<void> {
  if (!env.DATABASE_URL || !env.DATABASE_SCHEMA) return;
  const c = new pg.Client({ connectionString: env.DATABASE_URL });
  try {
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${env.DATABASE_SCHEMA} CASCADE`);
  } catch {
    // best effort: a schema left behind only takes disk
  } finally {
    await c.end().catch(() => undefined);
  }
}
