import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { migrate } from '../../src/db/migrate.ts';
import type { Store } from '../../src/db/store.ts';
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

  test("another process's commit moves SQLite's change mark; PostgreSQL has none and is read", async () => {
    const s = await twoProcesses();
    try {
      const mark = s.a.changeMark();
      await s.a.run("INSERT INTO store_versions (name, version) VALUES ('mine', 1)");
      assert.equal(s.a.changeMark(), mark, "this connection's own commit does not move it");
      await s.b.run("INSERT INTO store_versions (name, version) VALUES ('theirs', 1)");
      if (s.a.dialect.name === 'sqlite') assert.notEqual(s.a.changeMark(), mark, 'the mark moved');
      else assert.equal(mark, null, 'PostgreSQL cannot tell without a query');
    } finally {
      await s.close();
    }
  });
});
