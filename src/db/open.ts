import type { Config } from '../config/index.ts';
import { PgStore } from './postgres.ts';
import { Database } from './sqlite.ts';
import type { Store } from './store.ts';

/** The store the configuration names: PostgreSQL when DATABASE_URL is set, else the SQLite file. */
export async function openStore(
  config: Pick<Config, 'databasePath' | 'databaseUrl' | 'databaseSchema'>,
): Promise<Store> {
  if (config.databaseUrl) return PgStore.open(config.databaseUrl, { schema: config.databaseSchema });
  return Database.open(config.databasePath);
}
