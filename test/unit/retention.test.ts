import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AssignmentLogRepository } from '../../src/db/repositories/assignment-log.ts';
import { InboxRepository } from '../../src/db/repositories/inbox.ts';
import { loadConfig } from '../../src/config/index.ts';
import { recordQuota } from '../../src/db/repositories/quota-ledger.ts';
import {
  QUOTA_LEDGER_KEEP_MS,
  RetentionRepository,
  retentionFromDays,
} from '../../src/db/repositories/retention.ts';
import { migrate } from '../../src/db/migrate.ts';
import { Database } from '../../src/db/sqlite.ts';

const DAY = 86_400_000;
/** the policy the server runs with when no RETENTION_* variable is set */
const DEFAULT_RETENTION = retentionFromDays(
  loadConfig({ B24_CLIENT_ID: 'x', B24_CLIENT_SECRET: 'y' }).retentionDays,
);

test('old processed events, closed dialogs and log rows go; recent, open and pending ones stay', async () => {
  const db = await Database.open(':memory:');
  await migrate(db);
  const now = 1_800_000_000_000;
  const inbox = new InboxRepository(db);
  const row = (key: string) => ({
    memberId: 'm',
    dedupKey: key,
    event: 'E',
    objectKey: key,
    source: 'online' as const,
    payload: {},
    receivedAt: now - 100 * DAY,
  });
  await inbox.insertMany(['old-done', 'new-done', 'old-dead', 'young-dead', 'pending'].map(row));
  const ids = Object.fromEntries((await inbox.list()).map((r) => [r.dedupKey, r.id]));
  await inbox.markManyDone([ids['old-done']], now - DEFAULT_RETENTION.doneEventsMs - 1);
  await inbox.markManyDone([ids['new-done']], now - DEFAULT_RETENTION.doneEventsMs + DAY);
  await inbox.markDead(ids['old-dead'], now - DEFAULT_RETENTION.deadEventsMs - 1, 'x');
  await inbox.markDead(ids['young-dead'], now - DEFAULT_RETENTION.doneEventsMs - DAY, 'x');

  const dialog = (chat: number, state: string, closedAt: number | null) =>
    db.run(
      `INSERT INTO ol_dialogs (member_id, chat_id, session_id, line_id, user_code, state, arrived_at, updated_at, closed_at)
       VALUES ('m', ?, 1, 1, 'livechat|1|1|1', ?, 0, 0, ?)`,
      [chat, state, closedAt],
    );
  await dialog(1, 'closed', now - DEFAULT_RETENTION.closedDialogsMs - 1);
  await dialog(2, 'closed', now - DAY);
  await dialog(3, 'assigned', null);

  const log = new AssignmentLogRepository(db);
  const entry = (at: number) =>
    log.add({ memberId: 'm', kind: 'dialog', objectId: '1', action: 'assign', reason: {}, at });
  await entry(now - DEFAULT_RETENTION.assignmentLogMs - 1);
  await entry(now - DAY);

  // Quota counts: only as far back as a period can reach (a day, or a shift within it).
  const counted = (objectId: string, at: number) =>
    recordQuota(db, { memberId: 'm', kind: 'dialog', objectId, operatorId: 2, at, queueId: 'line:1' });
  await counted('old', now - QUOTA_LEDGER_KEEP_MS - 1);
  await counted('yesterday', now - DAY);

  const deleted = await new RetentionRepository(db).prune(now, DEFAULT_RETENTION);
  assert.deepEqual(deleted, { events: 2, dialogs: 1, log: 1, quotas: 1 });
  assert.deepEqual(
    (await db.all<{ object_id: string }>('SELECT object_id FROM quota_ledger')).map((r) => r.object_id),
    ['yesterday'],
  );
  assert.deepEqual((await inbox.list()).map((r) => r.dedupKey).sort(), ['new-done', 'pending', 'young-dead']);
  assert.deepEqual(
    (await db.all<{ chat_id: number }>('SELECT chat_id FROM ol_dialogs ORDER BY chat_id')).map(
      (r) => r.chat_id,
    ),
    [2, 3],
  );
  assert.equal((await log.recent('m')).length, 1);
  assert.deepEqual(await new RetentionRepository(db).prune(now, DEFAULT_RETENTION), {
    events: 0,
    dialogs: 0,
    log: 0,
    quotas: 0,
  });
  await db.close();
});

test('the server prunes with the periods from the environment', async () => {
  const { startTestApp } = await import('../helpers/context.ts');
  const ages = async (env: Record<string, string>) => {
    const app = await startTestApp({ env, start: false });
    try {
      const inbox = app.ctx.inbox;
      const now = app.ctx.clock();
      await inbox.insertMany(
        (['ten-days', 'three-days'] as const).map((k) => ({
          memberId: 'm',
          dedupKey: k,
          event: 'E',
          objectKey: k,
          source: 'online' as const,
          payload: {},
          receivedAt: now - (k === 'ten-days' ? 10 : 3) * DAY,
        })),
      );
      const ids = Object.fromEntries((await inbox.list()).map((r) => [r.dedupKey, r.id]));
      await inbox.markManyDone([ids['three-days']], now - 3 * DAY);
      await inbox.markManyDone([ids['ten-days']], now - 10 * DAY);
      const { pruneNow } = app.ctx.services.retention as { pruneNow: () => Promise<unknown> };
      await pruneNow();
      return (await inbox.list()).map((r) => r.dedupKey).sort();
    } finally {
      await app.close();
    }
  };
  assert.deepEqual(await ages({}), ['ten-days', 'three-days'], 'the default keeps 14 days');
  assert.deepEqual(await ages({ RETENTION_EVENTS_DAYS: '7' }), ['three-days']);
  assert.deepEqual(await ages({ RETENTION_EVENTS_DAYS: '1' }), []);
});
