// Runs the whole suite with node's own test runner through tsx, on both stores:
//   1. every test on SQLite (the embedded default: a file per test);
//   2. the integration tests again on PostgreSQL (a schema per test, dropped after it), with
//      the tests only PostgreSQL can run (*.pg.test.ts: several instances on one database).
// PostgreSQL is found at TEST_DATABASE_URL, else at postgres://app:app@localhost:5432/app_test
// (what .ci/run creates). Without a reachable server the run fails at once with one line that
// says what to install; it never skips the second pass silently.
// Usage: npm test [-- <path filter>...]; TEST_STORES=sqlite (or postgres) runs one pass only.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

export const DEFAULT_TEST_DATABASE_URL = 'postgres://app:app@localhost:5432/app_test';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...collect(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const filters = process.argv.slice(2);
// The app's own tests, and those of the packages in this workspace (the emulator's).
const roots = ['test', ...readdirSync('packages').map((p) => join('packages', p, 'test'))].filter((d) => {
  try {
    return statSync(d).isDirectory();
  } catch {
    return false;
  }
});
const files = roots
  .flatMap((r) => collect(r))
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}
const stores = (process.env.TEST_STORES ?? 'sqlite,postgres').split(',').map((s) => s.trim());
const onPostgres = stores.includes('postgres')
  ? files.filter((f) => f.startsWith(join('test', 'integration')))
  : [];
// *.pg.test.ts need PostgreSQL itself (several instances on one database): the second pass only.
const onSqlite = stores.includes('sqlite') ? files.filter((f) => !f.endsWith('.pg.test.ts')) : [];

// The app's own variables never choose the tests' store: each pass says which it uses.
const { DATABASE_URL: _u, DATABASE_SCHEMA: _s, TEST_STORE: _t, ...base } = process.env;
const env = { ...base, LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' };

let url;
if (onPostgres.length > 0) {
  url = process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
  const problem = await reach(url);
  if (problem) {
    console.error(
      `npm test runs the integration tests on PostgreSQL too and cannot reach ${redact(url)} (${problem}): install PostgreSQL 15 (Debian: apt-get install postgresql), create the role and database the README's "Tests" section names, or set TEST_DATABASE_URL`,
    );
    process.exit(1);
  }
}

// The browser and page tests serve the built page: build it when page/ is newer than dist/page.
const built = spawnSync(process.execPath, ['scripts/build-if-stale.mjs', '--page'], { stdio: 'inherit' });
if (built.status !== 0) process.exit(built.status ?? 1);

let status = 0;
if (onSqlite.length > 0) status = run(onSqlite, { ...env, TEST_STORE: 'sqlite' }) || status;
if (onPostgres.length > 0) {
  console.log(`\n# the integration tests again, on PostgreSQL (${redact(url)}), a schema per test\n`);
  status = run(onPostgres, { ...env, TEST_STORE: 'postgres', TEST_DATABASE_URL: url }) || status;
}
process.exit(status);

function run(list, runEnv) {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...list],
    { stdio: 'inherit', env: runEnv },
  );
  return result.status ?? 1;
}

/** Why the server cannot be used, or undefined when it can (connect, and a test may create schemas). */
async function reach(connectionString) {
  const c = new pg.Client({ connectionString, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    await c.query('SELECT 1');
    return undefined;
  } catch (err) {
    return String(err?.message || err?.code || err).split('\n')[0];
  } finally {
    await c.end().catch(() => undefined);
  }
}

function redact(u) {
  try {
    const x = new URL(u);
    if (x.password) x.password = '***';
    return x.toString();
  } catch {
    return 'the TEST_DATABASE_URL given';
  }
}
