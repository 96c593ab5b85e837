import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { migrate } from '../../src/db/migrate.ts';
import type { Store } from '../../src/db/store.ts';
import { waitFor } from '../helpers/context.ts';
import { dropStore, freshStoreEnv, openStoreOf } from '../helpers/store.ts';

/** Two handles on one store: as far as the store can tell, two processes. */
async function twoProcesses(): Promise<{ a: Store; b: Store; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'b24d-prim-'));
  const env = freshStoreEnv(dir);
  const a = await openStoreOf(env);
  await migrate(a);
  const b = await openStoreOf(env);
  return {
    a,
    b,
    async close() {
      await a.close();
      await b.close();
      await dropStore(env);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

describe('the store primitives every process shares', () => {
  test('withLock: sections under one name never overlap across processes; other names run beside them', async () => {
    const s = await twoProcesses();
    try {
      let inside = 0;
      let most = 0;
      const section = async () => {
        inside++;
        most = Math.max(most, inside);
        await new Promise((r) => setTimeout(r, 5));
        inside--;
      };
      // More callers than the PostgreSQL pool has connections: waiting must not starve the holder.
      await Promise.all(
        Array.from({ length: 24 }, (_, i) => (i % 2 ? s.a : s.b).withLock('queue:m:1', section)),
      );
      assert.equal(most, 1, 'one holder at a time');

      let release!: () => void;
      const held = s.a.withLock('queue:m:1', () => new Promise<void>((r) => (release = r)));
      await new Promise((r) => setTimeout(r, 20));
      const other = await s.b.withLock('queue:m:2', async () => 'ran');
      assert.equal(other, 'ran', 'another name is not held up');
      release();
      await held;
    } finally {
      await s.close();
    }
  });

  test("another process's commit is noticed: SQLite's change mark moves, PostgreSQL announces it at commit", async () => {
    const s = await twoProcesses();
    try {
      const heard: string[] = [];
      const stop = await s.a.listen(
        (n) => heard.push(n),
        () => undefined,
      );
      const mark = s.a.changeMark();
      let announcedBeforeCommit = 0;
      await s.b.transaction(async (tx) => {
        await tx.run("INSERT INTO store_versions (name, version) VALUES ('x', 1)");
        await s.b.announce(tx, 'x 1');
        await new Promise((r) => setTimeout(r, 50));
        announcedBeforeCommit = heard.length;
      });
      if (s.a.dialect.name === 'sqlite') {
        assert.notEqual(s.a.changeMark(), mark, 'the mark moved');
        assert.deepEqual(heard, [], 'SQLite announces nothing: readers look at the mark');
      } else {
        assert.equal(mark, null, 'PostgreSQL cannot tell without a query');
        assert.equal(announcedBeforeCommit, 0, 'nothing is heard before the commit');
        await waitFor(() => heard.length === 1, 'the notice');
        assert.deepEqual(heard, ['x 1']);
      }
      await stop();
    } finally {
      await s.close();
    }
  });
});
