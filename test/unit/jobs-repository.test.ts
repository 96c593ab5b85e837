import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { migrate } from '../../src/db/migrate.ts';
import { INTERRUPTED, JobRepository } from '../../src/db/repositories/jobs.ts';
import { Database } from '../../src/db/sqlite.ts';

const T = 1_750_000_000_000;
const MIN = 60_000;
let dir: string;
let db1: Database;
let db2: Database;
/** Two connections to one file: what two processes see. */
let a: JobRepository;
let b: JobRepository;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobs-repo-'));
  db1 = await Database.open(join(dir, 'app.sqlite'));
  await migrate(db1);
  db2 = await Database.open(join(dir, 'app.sqlite'));
  a = new JobRepository(db1);
  b = new JobRepository(db2);
});
after(async () => {
  await db1.close();
  await db2.close();
  rmSync(dir, { recursive: true, force: true });
});

test('of many processes racing for a free lease exactly one gets it', async () => {
  const tries = await Promise.all(
    Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).acquireLease('race', `h${i}`, T, MIN)),
  );
  const winners = tries.flatMap((r, i) => (r.acquired ? [`h${i}`] : []));
  assert.equal(winners.length, 1);
  for (const r of tries)
    if (!r.acquired) assert.equal(r.lease?.holder, winners[0], 'losers learn the holder');
  assert.equal((await a.getLease('race'))?.holder, winners[0]);
});

test('a live lease is not taken; an expired one is, by one taker only', async () => {
  assert.equal((await a.acquireLease('x', 'first', T, MIN)).acquired, true);
  const held = await b.acquireLease('x', 'second', T + MIN - 1, MIN);
  assert.deepEqual(held, { acquired: false, lease: { name: 'x', holder: 'first', expiresAt: T + MIN } });
  const takers = await Promise.all([
    a.acquireLease('x', 'third', T + MIN, MIN),
    b.acquireLease('x', 'fourth', T + MIN, MIN),
  ]);
  assert.equal(takers.filter((r) => r.acquired).length, 1);
  const holder = (await a.getLease('x'))?.holder;
  assert.ok(holder === 'third' || holder === 'fourth');
});

test('renew and release work for the holder only', async () => {
  await a.acquireLease('y', 'me', T, MIN);
  assert.equal(await b.renewLease('y', 'someone-else', T + 10, MIN), false);
  assert.equal(await a.renewLease('y', 'me', T + 10, MIN), true);
  assert.equal((await a.getLease('y'))?.expiresAt, T + 10 + MIN);
  assert.equal(await b.releaseLease('y', 'someone-else'), false);
  assert.equal((await a.getLease('y'))?.holder, 'me');
  assert.equal(await a.releaseLease('y', 'me'), true);
  assert.equal(await a.getLease('y'), undefined);
  assert.equal(await a.renewLease('y', 'me', T + 20, MIN), false, 'a released lease is not renewed');
  assert.equal((await b.acquireLease('y', 'next', T + 20, MIN)).acquired, true, 'free again at once');
});

test("taking over an expired lease closes the dead run's open journal rows", async () => {
  await a.acquireLease('z', 'dead', T, MIN);
  const open = await a.startRun({ job: 'z', memberId: 'm1', runId: 'dead', startedAt: T, dryRun: false });
  const other = await a.startRun({ job: 'other', memberId: 'm1', runId: 'o', startedAt: T, dryRun: false });
  const got = await b.acquireLease('z', 'alive', T + 2 * MIN, MIN);
  assert.deepEqual(got, { acquired: true, closedRuns: 1 });
  const rows = await a.recentRuns({ memberId: 'm1', limit: 10 });
  const z = rows.find((r) => r.id === open);
  assert.equal(z?.status, 'failed');
  assert.deepEqual(z?.summary, INTERRUPTED);
  assert.equal(z?.finishedAt, T + 2 * MIN);
  assert.equal(rows.find((r) => r.id === other)?.status, 'running', "another job's rows are left alone");
});

test('the journal: newest first, per portal or overall, summaries parsed', async () => {
  const j = 'journal-test';
  const r1 = await a.startRun({ job: j, memberId: 'p1', runId: 'r1', startedAt: T + 1, dryRun: false });
  await a.finishRun(r1, 'ok', T + 5, { moved: 2, list: ['a'] });
  const r2 = await a.startRun({ job: j, memberId: 'p2', runId: 'r1', startedAt: T + 2, dryRun: true });
  await a.finishRun(r2, 'failed', T + 6, { error: 'boom' });
  await a.recordRun({
    job: j,
    memberId: null,
    runId: 'r2',
    startedAt: T + 3,
    finishedAt: T + 3,
    status: 'skipped',
    dryRun: false,
    summary: { skipped: 'lease held' },
  });
  const all = await b.recentRuns({ job: j });
  assert.deepEqual(
    all.map((r) => [r.memberId, r.status]),
    [
      [null, 'skipped'],
      ['p2', 'failed'],
      ['p1', 'ok'],
    ],
  );
  assert.deepEqual(all[2], {
    id: r1,
    job: j,
    memberId: 'p1',
    runId: 'r1',
    startedAt: T + 1,
    finishedAt: T + 5,
    status: 'ok',
    dryRun: false,
    summary: { moved: 2, list: ['a'] },
  });
  assert.equal(all[1].dryRun, true);
  assert.deepEqual(
    (await b.recentRuns({ job: j, memberId: 'p2' })).map((r) => r.id),
    [r2],
  );
  assert.equal((await b.recentRuns({ job: j, includeSkipped: false })).length, 2);
  assert.equal((await b.recentRuns({ job: j, limit: 1 }))[0].status, 'skipped');
});

test('pruning deletes old finished rows, never running ones', async () => {
  const j = 'prune-test';
  const old = await a.startRun({ job: j, memberId: 'p', runId: 'o', startedAt: 1000, dryRun: false });
  await a.finishRun(old, 'ok', 1001, {});
  const running = await a.startRun({ job: j, memberId: 'p', runId: 'o2', startedAt: 1002, dryRun: false });
  const fresh = await a.startRun({ job: j, memberId: 'p', runId: 'n', startedAt: T, dryRun: false });
  await a.finishRun(fresh, 'ok', T, {});
  assert.ok((await a.pruneRuns(T - 1)) >= 1);
  const ids = (await a.recentRuns({ job: j })).map((r) => r.id);
  assert.deepEqual(ids.sort(), [running, fresh].sort());
});
