import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SnapshotWatch } from '../../src/cluster/snapshot-watch.ts';
import { migrate } from '../../src/db/migrate.ts';
import { OperatorSnapshotRepository } from '../../src/db/repositories/operator-snapshots.ts';
import { StoreVersionRepository } from '../../src/db/repositories/store-versions.ts';
import { Database } from '../../src/db/sqlite.ts';

/** Two connections to one SQLite file: two processes, as far as the store can tell. */
async function twoProcesses() {
  const dir = mkdtempSync(join(tmpdir(), 'b24d-watch-'));
  const a = await Database.open(join(dir, 'app.sqlite'));
  await migrate(a);
  const b = await Database.open(join(dir, 'app.sqlite'));
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('shared snapshots', () => {
  test("the watch runs a kind's handlers when another connection moved its counter, and only then", async () => {
    const s = await twoProcesses();
    try {
      const watch = new SnapshotWatch(s.a, new StoreVersionRepository(s.a));
      const heard: string[] = [];
      watch.on('operators', (m, v) => void heard.push(`operators ${m} ${v}`));
      watch.on('lines', (m, v) => void heard.push(`lines ${m} ${v}`));
      await watch.check('m1');
      assert.deepEqual(heard, [], 'nothing written yet');

      const other = new StoreVersionRepository(s.b);
      await other.bump('operators:m1');
      await other.bump('operators:m1');
      await other.bump('lines:m2');
      await watch.check('m1');
      assert.deepEqual(heard, ['operators m1 2']);
      await watch.check('m1');
      assert.deepEqual(heard, ['operators m1 2'], 'seen once');
      await watch.check('m2');
      assert.deepEqual(heard, ['operators m1 2', 'lines m2 1']);
    } finally {
      await s.close();
    }
  });

  test('a slower read finishing after a newer one never replaces it; a reader takes in only what is newer', async () => {
    const s = await twoProcesses();
    try {
      const repo = new OperatorSnapshotRepository(s.a, new StoreVersionRepository(s.a));
      const v1 = await repo.save('m', [
        { userId: 4, info: { id: 4, workday: 'PAUSED' }, fetchedAt: 2000 },
        { userId: 5, info: null, fetchedAt: 2000 },
      ]);
      const v2 = await repo.save('m', [{ userId: 4, info: { id: 4, workday: 'OPENED' }, fetchedAt: 1000 }]);
      assert.equal(v2, v1 + 1);
      const all = await new OperatorSnapshotRepository(s.b, new StoreVersionRepository(s.b)).since('m', 0);
      assert.deepEqual(
        all.map((r) => [r.userId, r.info?.workday ?? null, r.fetchedAt]).sort(),
        [
          [4, 'PAUSED', 2000],
          [5, null, 2000],
        ],
        'the older read of user 4 was not taken',
      );
      assert.deepEqual(await repo.since('m', v1), [], 'nothing was written under the later version');
    } finally {
      await s.close();
    }
  });
});
