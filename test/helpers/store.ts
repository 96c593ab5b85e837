import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import type { Config } from '../../src/config/index.ts';
import { openStore } from '../../src/db/open.ts';
import type { Store } from '../../src/db/store.ts';

/**
 * Which store the suite runs on: PostgreSQL in npm test's second pass (TEST_STORE=postgres,
 * at TEST_DATABASE_URL: scripts/run-tests.mjs), else a SQLite file per test. On PostgreSQL
 * each test gets a schema of its own.
 */
export const TEST_PG_URL =
  process.env.TEST_STORE === 'postgres' ? process.env.TEST_DATABASE_URL || undefined : undefined;

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

/** The environment that points another process at the same store as `config` (either kind). */
export function storeEnvOf(
  config: Pick<Config, 'databasePath' | 'databaseUrl' | 'databaseSchema'>,
): StoreEnv {
  const env: StoreEnv = { DATABASE_PATH: config.databasePath };
  if (config.databaseUrl) env.DATABASE_URL = config.databaseUrl;
  if (config.databaseSchema) env.DATABASE_SCHEMA = config.databaseSchema;
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
