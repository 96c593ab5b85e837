import assert from 'node:assert/strict';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts';
import { Database, type Param } from '../../src/db/sqlite.ts';

test('migrations apply once, in order, and are recorded', async () => {
  const db = await Database.open(':memory:');
  const first = await migrate(db);
  assert.ok(first.length >= 1 && first[0] === 1);
  assert.deepEqual(await migrate(db), [], 'a second run applies nothing');
  const rows = await db.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
  assert.deepEqual(
    rows.map((r) => r.version),
    first,
  );
  await db.close();
});

test('a failing migration leaves no trace (its transaction rolls back)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mig-'));
  writeFileSync(join(dir, '001_ok.sql'), 'CREATE TABLE a (x INTEGER);');
  writeFileSync(join(dir, '002_bad.sql'), 'CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);');
  const db = await Database.open(':memory:');
  await assert.rejects(migrate(db, dir));
  assert.equal((await db.all("SELECT name FROM sqlite_master WHERE name = 'b'")).length, 0);
  assert.deepEqual(
    (await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => r.version),
    [1],
  );
  await db.close();
});

test('the database file uses WAL and foreign keys', async () => {
  const db = await Database.open(join(mkdtempSync(join(tmpdir(), 'wal-')), 'x.sqlite'));
  assert.equal((await db.get<{ journal_mode: string }>('PRAGMA journal_mode'))?.journal_mode, 'wal');
  assert.equal((await db.get<{ foreign_keys: number }>('PRAGMA foreign_keys'))?.foreign_keys, 1);
  await db.close();
});

test('statements from outside never slip into a running transaction', async () => {
  const db = await Database.open(':memory:');
  await db.exec('CREATE TABLE t (x INTEGER)');
  let release!: () => void;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  const tx = db
    .transaction(async (t) => {
      await t.run('INSERT INTO t VALUES (1)');
      await gate;
      throw new Error('roll back');
    })
    .catch(() => 'rolled back');
  const outside = db.run('INSERT INTO t VALUES (2)');
  release();
  assert.equal(await tx, 'rolled back');
  await outside;
  assert.deepEqual(await db.all('SELECT x FROM t'), [{ x: 2 }]);
  assert.ok(MIGRATIONS_DIR.endsWith('migrations/'));
  await db.close();
});

test('under a steady stream of commits the WAL is restarted instead of growing', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'wal-restart-')), 'x.sqlite');
  const db = await Database.open(path, { checkpointEveryMs: 10, restartWalAfterFrames: 50 });
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  // 1,500 commits of a few pages each, a commit every moment the event loop is free: without
  // restarts the log would hold every one of them (thousands of 4 KiB frames).
  const v = 'x'.repeat(6000);
  for (let i = 0; i < 1500; i++) {
    await db.run('INSERT INTO t (v) VALUES (?)', [v]);
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  const frames = statSync(`${path}-wal`).size / 4120; // 24-byte frame header + 4 KiB page
  assert.ok(frames < 1500, `the WAL holds ${Math.round(frames)} frames`);
  assert.equal((await db.get<{ n: number }>('SELECT COUNT(*) AS n FROM t'))?.n, 1500);
  await db.close();
});

test('booleans, dates and undefined bind as the previous driver bound them', async () => {
  const db = await Database.open(':memory:');
  await db.exec('CREATE TABLE t (a INTEGER, b INTEGER, c INTEGER)');
  const when = new Date(1_750_000_000_000);
  await db.run('INSERT INTO t VALUES (?, ?, ?)', [true, when, undefined] as unknown as Param[]);
  await db.run('INSERT INTO t VALUES (?, ?, ?)', [false, null, 3] as unknown as Param[]);
  assert.deepEqual(await db.all('SELECT a, b, c FROM t ORDER BY rowid'), [
    { a: 1, b: 1_750_000_000_000, c: null },
    { a: 0, b: null, c: 3 },
  ]);
  await db.close();
});
