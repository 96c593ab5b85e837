import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { type TestContext, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { migrate } from '../../src/db/migrate.ts';
import {
  BACKLOG_SQL,
  CLAIM_SQL,
  InboxRepository,
  laneKey,
  laneOf,
  type NewInboxRow,
  NEXT_LANE_SQL,
  NEXT_PORTAL_SQL,
  RUNNABLE_SQL,
} from '../../src/db/repositories/inbox.ts';
import { Database } from '../../src/db/sqlite.ts';

const T = 1_750_000_000_000;

/** A migrated in-memory database and its inbox, closed when the test ends (passed or not). */
async function freshInbox(t: TestContext) {
  const db = await Database.open(':memory:');
  await migrate(db);
  t.after(() => db.close());
  return { db, repo: new InboxRepository(db) };
}

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

test('claiming never scans the whole inbox, with or without rows to mark done', async (t) => {
  const { db } = await freshInbox(t);
  for (const finished of ['[]', '[1,2,3]']) {
    const plan = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${CLAIM_SQL}`, [
      finished,
      '[4,5]',
      T,
      T,
      T,
      T,
    ]);
    const scans = plan.map((p) => p.detail).filter((d) => /^SCAN (inbox|i)\b/.test(d) && !/USING/.test(d));
    assert.deepEqual(scans, [], `finished=${finished}: ${plan.map((p) => p.detail).join(' | ')}`);
  }
});

test('one claim marks finished rows done and takes the next runnable ones, in order per object', async (t) => {
  const { repo } = await freshInbox(t);
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
  const states = (await repo.list({ memberId: 'm1' })).map((r) => r.state).sort();
  assert.deepEqual(states, ['done', 'done', 'pending', 'processing']);

  const third = await repo.claim(T + 2, T + 30_000, 8, []);
  assert.deepEqual(
    third.map((r) => r.dedupKey),
    ['k2'],
  );
  const done = await repo.findByDedupKey('k1');
  assert.equal(done?.state, 'done');
  assert.equal(done?.finishedAt, T + 1);
});

test("a portal's backlog reads its pending, processing and dead rows, never its finished ones", async (t) => {
  const { db, repo } = await freshInbox(t);
  await repo.insertMany([row(1, 'lead:1'), row(2, 'lead:2'), row(3, 'lead:3'), row(4, 'lead:4')]);
  const [a, b] = await repo.claim(T, T + 30_000, 2);
  await repo.markManyDone([a.id], T);
  await repo.markDead(b.id, T, 'gave up');
  await repo.claim(T, T + 30_000, 1);
  await repo.insertMany([{ ...row(100, 'lead:9'), memberId: 'm2', dedupKey: 'other' }]);
  assert.deepEqual(await repo.backlog('m1'), { pending: 1, processing: 1, dead: 1 });
  assert.deepEqual(await repo.backlog('m2'), { pending: 1, processing: 0, dead: 0 });
  assert.deepEqual(await repo.backlog('nobody'), { pending: 0, processing: 0, dead: 0 });
  const plan = await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${BACKLOG_SQL}`, ['m1']);
  assert.match(
    plan.map((p) => p.detail).join(' | '),
    /USING COVERING INDEX inbox_member_state \(member_id=\? AND state=\?\)/,
  );
});

test('portals share a claim: each up to its room, dealt oldest first round by round', async (t) => {
  const { repo } = await freshInbox(t);
  const of = (m: string, i: number, key = `lead:${i}`) => ({
    ...row(i, key),
    memberId: m,
    dedupKey: `${m}-${i}`,
  });
  // portal a: an import of 20 leads; then b and c, one new event each
  await repo.insertMany(Array.from({ length: 20 }, (_, i) => of('a', i)));
  await repo.insertMany([of('b', 100), of('c', 200)]);
  const ids = new Map((await repo.list()).map((r) => [r.dedupKey, r.id]));
  const keys = (rows: { dedupKey: string }[]) => rows.map((r) => r.dedupKey);

  // a already runs 4 of its own: b and c are taken, nothing more of a's
  const full = await repo.claim(T, T + 30_000, 8, [], { perPortal: 4, running: new Map([['a', 4]]) });
  assert.deepEqual(keys(full), ['b-100', 'c-200']);

  // nothing running: a gets its 4, dealt before nobody else is waiting
  const next = await repo.claim(T, T + 30_000, 8, [], { perPortal: 4, running: new Map() });
  assert.deepEqual(keys(next), ['a-0', 'a-1', 'a-2', 'a-3']);

  // fewer places than portals with work: the first round (every portal's oldest) goes first
  await repo.insertMany([of('b', 101), of('c', 201)]);
  const round = await repo.claim(T, T + 30_000, 2, [], { perPortal: 4, running: new Map([['a', 4]]) });
  assert.deepEqual(keys(round), ['b-101', 'c-201']);
  assert.ok(ids.get('a-4')! < round[0].id, "a's older rows waited: b and c were at their first round");
});

test('a chosen row that another process claimed meanwhile is not claimed again', async (t) => {
  const { db, repo } = await freshInbox(t);
  await repo.insertMany([row(1, 'lead:1'), row(2, 'lead:2')]);
  const [first] = await repo.claim(T, T + 30_000, 1);
  const second = (await repo.list()).find((r) => r.id !== first.id)!;
  // the UPDATE alone, given both rows as chosen: the one in flight (lease still running) is left alone
  const rows = await db.all<{ id: number; attempts: number }>(CLAIM_SQL, [
    '[]',
    JSON.stringify([first.id, second.id]),
    T,
    T + 30_000,
    T + 1,
    T + 1,
  ]);
  assert.deepEqual(
    rows.map((r) => r.id),
    [second.id],
  );
  assert.equal((await repo.list()).find((r) => r.id === first.id)?.attempts, 1);
  // once the leases lapse (their process died), both are runnable again, each taken once
  const again = await repo.claim(T + 60_000, T + 90_000, 4);
  assert.deepEqual(
    again.map((r) => [r.id, r.attempts]),
    [
      [first.id, 2],
      [second.id, 2],
    ],
  );
});

test('the claim reads each lane through its own index, never the finished rows', async (t) => {
  const { db } = await freshInbox(t);
  const plan = async (sql: string, p: (string | number)[]) =>
    (await db.all<{ detail: string }>(`EXPLAIN QUERY PLAN ${sql}`, p)).map((r) => r.detail).join(' | ');
  // each probe seeks: past a whole portal, or to the next lane of one
  assert.match(
    await plan(NEXT_PORTAL_SQL, ['m1']),
    /SEARCH inbox USING INDEX inbox_open_lane \(member_id>\?\)/,
  );
  assert.match(
    await plan(NEXT_LANE_SQL, ['m1', 'chat']),
    /SEARCH inbox USING INDEX inbox_open_lane \(member_id=\? AND lane>\?\)/,
  );
  const runnable = await plan(RUNNABLE_SQL, ['m1', 'lead', T, T, 4]);
  assert.match(runnable, /SEARCH i USING INDEX inbox_open_lane \(member_id=\? AND lane=\?\)/);
  assert.match(
    runnable,
    /SEARCH j USING INDEX inbox_open_object \(member_id=\? AND object_key=\? AND id<\?\)/,
  );
  assert.doesNotMatch(runnable, /TEMP B-TREE/, 'rows come in id order from the index, unsorted');
});

test("within a portal, a backlog of one kind does not hold back another kind's new event", async (t) => {
  const { repo } = await freshInbox(t);
  await repo.insertMany(Array.from({ length: 30 }, (_, i) => row(i, `lead:${i}`)));
  await repo.insertMany([row(100, 'chat:7')]);
  const share = { perPortal: 4, running: new Map<string, number>() };
  const first = await repo.claim(T, T + 30_000, 4, [], share);
  // the chat came after 30 leads, and is dealt in the first round with the oldest lead
  assert.deepEqual(
    first.map((r) => r.objectKey),
    ['lead:0', 'lead:1', 'lead:2', 'chat:7'],
  );
  assert.ok(first.every((r) => r.state === 'processing'));
});

test('upgrading gives the unfinished rows already stored their lane', async () => {
  const dir = new URL('../../migrations/', import.meta.url);
  const files = readdirSync(dir).sort();
  const db = new BetterSqlite3(':memory:');
  for (const f of files.filter((f) => f < '050')) db.exec(readFileSync(new URL(f, dir), 'utf8'));
  db.exec(`INSERT INTO inbox (member_id, dedup_key, event, object_key, payload, received_at, state) VALUES
    ('m', 'k1', 'E', 'chat:5', '{}', 1, 'pending'), ('m', 'k2', 'E', 'lead:9', '{}', 1, 'processing'),
    ('m', 'k3', 'E', 'lead:9', '{}', 1, 'done')`);
  db.exec(readFileSync(new URL(files.find((f) => f.startsWith('050'))!, dir), 'utf8'));
  assert.deepEqual(db.prepare('SELECT dedup_key, lane FROM inbox ORDER BY id').all(), [
    { dedup_key: 'k1', lane: 'chat' },
    { dedup_key: 'k2', lane: 'lead' },
    { dedup_key: 'k3', lane: '' },
  ]);
  assert.equal(laneOf('chat:5:x'), 'chat');
  assert.equal(laneOf('plain'), 'plain');
  db.close();
});

test("a portal's next free place goes to the lane it serves least, not to its busiest", async (t) => {
  const { repo } = await freshInbox(t);
  await repo.insertMany(Array.from({ length: 20 }, (_, i) => row(i, `lead:${i}`)));
  // three of its leads are running (waiting on the portal's limit); then a chat arrives
  const running = await repo.claim(T, T + 30_000, 3);
  await repo.insertMany([row(100, 'chat:7')]);
  const share = {
    perPortal: 4,
    running: new Map([['m1', 3]]),
    runningLanes: new Map([[laneKey('m1', 'lead'), 3]]),
  };
  const next = await repo.claim(T, T + 30_000, 8, [], share);
  assert.deepEqual(
    next.map((r) => r.objectKey),
    ['chat:7'],
    `the one free place, with ${running.length} leads running`,
  );
});
