import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrate } from '../../src/db/migrate.ts';
import {
  BACKLOG_SQL,
  CLAIM_SQL,
  InboxRepository,
  type NewInboxRow,
} from '../../src/db/repositories/inbox.ts';
import { Database } from '../../src/db/sqlite.ts';

const T = 1_750_000_000_000;

function row(i: number, objectKey: string): NewInboxRow {
  return {
    memberId: 'm1',
    dedupKey: `k${i}`,
    event: 'ONCRMLEADUPDATE',
    objectKey,
    source: 'online',
    payload: { i },
    receivedAt: T,
  };
}

test('claiming never scans the whole inbox, with or without rows to mark done', async () => {
  const db = await Database.open(':memory:');
  await migrate(db);
  for (const finished of ['[]', '[1,2,3]']) {
    const plan = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${CLAIM_SQL}`, [
      finished,
      T,
      T,
      T,
      T,
      8,
    ]);
    const scans = plan.map((p) => p.detail).filter((d) => /^SCAN (inbox|i)\b/.test(d) && !/USING/.test(d));
    assert.deepEqual(scans, [], `finished=${finished}: ${plan.map((p) => p.detail).join(' | ')}`);
  }
  await db.close();
});

test('one claim marks finished rows done and takes the next runnable ones, in order per object', async () => {
  const db = await Database.open(':memory:');
  await migrate(db);
  const repo = new InboxRepository(db);
  await repo.insertMany([row(1, 'lead:1'), row(2, 'lead:1'), row(3, 'lead:2'), row(4, 'lead:3')]);

  const first = await repo.claim(T, T + 30_000, 8);
  // lead:1's second event waits for its first
  assert.deepEqual(
    first.map((r) => r.dedupKey),
    ['k1', 'k3', 'k4'],
  );
  assert.ok(first.every((r) => r.state === 'processing' && r.attempts === 1));

  const second = await repo.claim(T + 1, T + 30_000, 8, [first[0].id, first[1].id]);
  assert.deepEqual(second, [], 'a row finished in this statement still holds back its object until the next');
  const states = await repo.countByState('m1');
  assert.deepEqual(states, { done: 2, pending: 1, processing: 1 });

  const third = await repo.claim(T + 2, T + 30_000, 8, []);
  assert.deepEqual(
    third.map((r) => r.dedupKey),
    ['k2'],
  );
  const done = await repo.findByDedupKey('k1');
  assert.equal(done?.state, 'done');
  assert.equal(done?.finishedAt, T + 1);
  await db.close();
});

test("a portal's backlog reads its pending, processing and dead rows, never its finished ones", async () => {
  const db = await Database.open(':memory:');
  await migrate(db);
  const repo = new InboxRepository(db);
  const other = { ...row(100, 'lead:9'), memberId: 'm2', dedupKey: 'other' };
  await repo.insertMany([row(1, 'lead:1'), row(2, 'lead:2'), row(3, 'lead:3'), row(4, 'lead:4'), other]);
  const [a, b] = await repo.claim(T, T + 30_000, 2);
  await repo.markManyDone([a.id], T);
  await repo.markDead(b.id, T, 'gave up');
  await repo.claim(T, T + 30_000, 1);
  assert.deepEqual(await repo.backlog('m1'), { pending: 1, processing: 1, dead: 1 });
  assert.deepEqual(await repo.backlog('m2'), { pending: 1, processing: 0, dead: 0 });
  assert.deepEqual(await repo.backlog('nobody'), { pending: 0, processing: 0, dead: 0 });
  const plan = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${BACKLOG_SQL}`, ['m1']);
  assert.match(
    plan.map((p) => p.detail).join(' | '),
    /USING COVERING INDEX inbox_member_state \(member_id=\? AND state=\?\)/,
  );
  await db.close();
});
