import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrate } from '../../src/db/migrate.ts';
import { DialogRepository } from '../../src/db/repositories/dialogs.ts';
import { QueueStateRepository } from '../../src/db/repositories/queue-state.ts';
import { QuotaLedgerRepository, recordQuota } from '../../src/db/repositories/quota-ledger.ts';
import { StoreVersionRepository } from '../../src/db/repositories/store-versions.ts';
import { Database } from '../../src/db/sqlite.ts';
import { Dispatcher, type Item } from '../../src/engine/index.ts';
import { lineQuotaOf } from '../../src/openlines/line-quota.ts';
import { type TurnIndex, takeTurn } from '../../src/openlines/queue-turn.ts';
import { lineSettingsSchema } from '../../src/settings/schema.ts';
import { op, queueOf, T0 } from './engine/fixtures.ts';

/**
 * The line quota in the queue's turn (openlines/queue-turn.ts, line-quota.ts): one long-lived
 * index, as a process keeps it between rebuilds. The count must come from the store in every
 * turn, not from what this index remembers: another process's assignments are in the store only.
 */
test('each turn reads the store’s count and writes its own: another process’s dialogs count, without a rebuild', async () => {
  const db = await Database.open(':memory:');
  await migrate(db);
  const ledger = new QuotaLedgerRepository(db);
  const deps = {
    db,
    versions: new StoreVersionRepository(db),
    queueState: new QueueStateRepository(db),
    dialogs: new DialogRepository(db),
    ledger,
    clock: () => T0,
  };
  const quota = lineSettingsSchema.parse({ quota: { enabled: true, perOperator: 2 } }).quota;
  const idx: TurnIndex = {
    memberId: 'm',
    lineId: 1,
    queueId: 'line:1',
    dispatcher: new Dispatcher(queueOf([2, 3]), [op(2), op(3)], T0),
    orderVersion: 0,
    quota: lineQuotaOf(quota, 'UTC', {}),
  };
  const item = (n: number): Item => ({ id: n, kind: 'dialog', ref: `session:${n}` });
  const decideOne = (n: number) =>
    takeTurn(
      deps,
      idx,
      (dispatcher, turn) => {
        const x = dispatcher.decide(item(n), T0);
        turn.commit(x);
        return x;
      },
      () => {},
      [item(n)],
    );
  const first = await decideOne(1);
  assert.equal(first.action, 'assign');
  const counted = await db.all<{ object_id: string; queue_id: string }>(
    'SELECT object_id, queue_id FROM quota_ledger',
  );
  assert.deepEqual(
    counted,
    [{ object_id: 'session:1', queue_id: 'line:1' }],
    'counted by session, in the turn',
  );

  // Another process gave three of this line's dialogs today: two to 2, one to 3 (3 had none here).
  const elsewhere = (key: string, operatorId: number) =>
    recordQuota(db, { memberId: 'm', kind: 'dialog', objectId: key, operatorId, at: T0, queueId: 'line:1' });
  await elsewhere('session:90', 2);
  await elsewhere('session:91', 2);
  await elsewhere('session:92', 3);
  // Another line's dialogs are not this line's count.
  await recordQuota(db, {
    memberId: 'm',
    kind: 'dialog',
    objectId: 'session:93',
    operatorId: 3,
    at: T0,
    queueId: 'line:2',
  });
  const second = await decideOne(2);
  assert.equal(second.action, 'assign');
  assert.equal(second.action === 'assign' && second.operatorId, 3, 'only 3 has room left (1 of 2)');
  const third = await decideOne(3);
  assert.equal(third.action, 'wait', 'everyone is at 2 by the store’s count');
  assert.deepEqual(third.reason.skipped.over_quota, [2, 3]);
  await db.close();
});
