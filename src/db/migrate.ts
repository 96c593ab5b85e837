import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './sqlite.ts';

/** migrations/ at the package root; resolved from this file so it works from src/ and dist/src/. */
export const MIGRATIONS_DIR = fileURLToPath(
  new URL('../../' + (import.meta.url.includes('/dist/') ? '../' : '') + 'migrations/', import.meta.url),
);

/**
 * Applies every numbered migration (NNN_name.sql) not yet recorded in schema_migrations,
 * each inside its own transaction together with its record. Returns the versions applied.
 */
export async function migrate(db: Database, dir = MIGRATIONS_DIR): Promise<number[]> {
  await db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const done = new Set(
    (await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version),
  );
  const files = readdirSync(dir)
    .map((f) => /^(\d+)_([\w-]+)\.sql$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ version: Number(m[1]), name: m[2], file: join(dir, m[0]) }))
    .sort((a, b) => a.version - b.version);
  const applied: number[] = [];
  for (const m of files) {
    if (done.has(m.version)) continue;
    const sql = readFileSync(m.file, 'utf8');
    await db.transaction(async (tx) => {
      await tx.exec(sql);
      await tx.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [
        m.version,
        m.name,
        new Date().toISOString(),
      ]);
    });
    applied.push(m.version);
  }
  return applied;
}
