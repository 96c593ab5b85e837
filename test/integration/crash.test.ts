import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { formEncode, waitFor } from '../helpers/context.ts';
import { dropStore, freshStoreEnv, openStoreOf, type StoreEnv } from '../helpers/store.ts';

function startChild(store: StoreEnv): Promise<{ child: ChildProcess; url: string }> {
  const { DATABASE_URL: _u, DATABASE_SCHEMA: _s, ...inherited } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/crash-app.ts'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...inherited, ...store },
  });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve({ child, url: `http://127.0.0.1:${String(d).trim()}` }));
    child.once('exit', (code) => reject(new Error(`app exited early (${code})`)));
  });
}

function send(url: string, id: number): Promise<boolean> {
  const body = formEncode({
    event: 'ONTESTOBJECT',
    data: { FIELDS: { ID: String(id) } },
    ts: String(id),
    auth: { member_id: 'crash-member', application_token: 'crash-token' },
  });
  return fetch(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  })
    .then((r) => r.status === 200)
    .catch(() => false);
}

test('kill -9 during a burst, then restart: every accepted event takes effect exactly once', async () => {
  const store = freshStoreEnv(mkdtempSync(join(tmpdir(), 'crash-')));
  const first = await startChild(store);
  const accepted = new Set<number>();
  let killed = false;
  let next = 0;
  let refused = 0;
  // 16 senders, each with one request in flight, until each meets the dead app: the kill lands
  // while requests are in flight, whatever the speed of the app or of this process.
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      for (;;) {
        const id = next++;
        if (!(await send(first.url, id))) {
          refused++;
          return;
        }
        accepted.add(id);
        // Kill mid-burst: some events stored, some in flight, some handlers half-way.
        if (accepted.size === 150 && !killed) {
          killed = true;
          first.child.kill('SIGKILL');
        }
      }
    }),
  );
  assert.ok(killed, 'the app was killed during the burst');
  assert.equal(refused, 16, 'every sender met the dead app');

  const second = await startChild(store);
  const db = await openStoreOf(store);
  try {
    await waitFor(
      async () => {
        const r = await db.get<{ n: number }>(
          "SELECT COUNT(*) AS n FROM inbox WHERE state IN ('pending', 'processing')",
        );
        return r?.n === 0;
      },
      'inbox drained after restart',
      30_000,
    );
    const effects = new Set(
      (await db.all<{ key: string }>('SELECT key FROM test_effects')).map((r) => Number(r.key)),
    );
    for (const id of accepted) assert.ok(effects.has(id), `accepted event ${id} took effect`);
    // Only the handlers in flight at the kill (one per object: 7 here) may run again; their
    // effects are idempotent, so the re-run changes nothing.
    const reruns = await db.all<{ key: string; n: number }>(
      'SELECT key, COUNT(*) AS n FROM test_invocations GROUP BY key HAVING COUNT(*) > 1',
    );
    assert.ok(reruns.length <= 7, `only in-flight events ran again (${reruns.length})`);
    assert.ok(
      reruns.every((r) => r.n === 2),
      'no event ran more than twice',
    );
    const stored = await db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM inbox WHERE event = 'ONTESTOBJECT'",
    );
    assert.equal(effects.size, stored?.n, 'every stored event (acknowledged or not) took effect once');
  } finally {
    second.child.kill('SIGKILL');
    await db.close();
    await dropStore(store);
  }
});
