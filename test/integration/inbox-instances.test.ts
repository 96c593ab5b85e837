import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { z } from 'zod';
import type { Feature } from '../../src/app-context.ts';
import { formEncode, startTestApp, type TestApp, waitFor } from '../helpers/context.ts';
import { seedInstallation } from '../helpers/portal.ts';
import { dropStore, freshStoreEnv, openStoreOf, type StoreEnv } from '../helpers/store.ts';

// Issue 14: the inbox shared by several instances, on either store.

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

function sharedStore(): StoreEnv {
  const dir = mkdtempSync(join(tmpdir(), 'b24d-inbox-'));
  const store = freshStoreEnv(dir);
  cleanup.push(async () => {
    await dropStore(store);
    rmSync(dir, { recursive: true, force: true });
  });
  return store;
}

function event(id: string, n: number, token = 'app-token-a'): string {
  return formEncode({
    event: 'ONTESTOBJECT',
    data: { FIELDS: { ID: id, N: String(n) } },
    ts: String(n),
    auth: { member_id: 'member-a', application_token: token },
  });
}

function post(url: string, body: string): Promise<number> {
  return fetch(`${url}/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  }).then((r) => r.status);
}

describe('one inbox, several instances', () => {
  test("two instances drain one inbox: each event once, one object's events in arrival order and never side by side", async () => {
    const ran: { id: string; n: number; by: string; start: number; end: number }[] = [];
    const feature = (by: string): Feature => ({
      name: 'test-events',
      register(ctx) {
        ctx.router.on({
          event: 'ONTESTOBJECT',
          schema: z
            .object({ data: z.object({ FIELDS: z.object({ ID: z.string(), N: z.string() }) }) })
            .passthrough(),
          objectKey: (b) => `obj:${b.data.FIELDS.ID}`,
          async handle({ body }) {
            const start = performance.now();
            await new Promise((r) => setTimeout(r, 3));
            ran.push({
              id: body.data.FIELDS.ID,
              n: Number(body.data.FIELDS.N),
              by,
              start,
              end: performance.now(),
            });
          },
        });
      },
    });
    const store = sharedStore();
    const a: TestApp = await startTestApp({ env: { ...store }, features: [feature('a')], sharedStore: true });
    cleanup.push(() => a.close());
    const b: TestApp = await startTestApp({ env: { ...store }, features: [feature('b')], sharedStore: true });
    cleanup.push(() => b.close());
    await seedInstallation(a.ctx);

    // 6 objects, 20 events each, taken in by both instances in turn (a balancer's spread).
    const total = 120;
    for (let i = 0; i < total; i++)
      assert.equal(await post(i % 2 ? b.url : a.url, event(String(i % 6), i)), 200);
    await waitFor(() => ran.length >= total, 'every event handled', 30_000);
    await a.ctx.worker.drain();
    await b.ctx.worker.drain();

    assert.equal(ran.length, total, 'each event handled once');
    assert.equal(new Set(ran.map((r) => r.n)).size, total);
    for (const id of ['0', '1', '2', '3', '4', '5']) {
      const mine = ran.filter((r) => r.id === id).sort((x, y) => x.start - y.start);
      assert.deepEqual(
        mine.map((r) => r.n),
        mine.map((r) => r.n).sort((x, y) => x - y),
        `object ${id}: in arrival order`,
      );
      for (let i = 1; i < mine.length; i++)
        assert.ok(mine[i]!.start >= mine[i - 1]!.end, `object ${id}: one event at a time, across instances`);
    }
    const by = new Set(ran.map((r) => r.by));
    assert.deepEqual([...by].sort(), ['a', 'b'], 'both instances worked');
  });

  test('an instance killed with events taken in and not handled: another instance finishes them once its lease runs out', async () => {
    const store = sharedStore();
    // The crash fixture: the real app, a 500 ms inbox lease, a handler that records its effect once.
    const start = (handlerMs: number): Promise<{ child: ChildProcess; url: string }> => {
      const { DATABASE_URL: _u, DATABASE_SCHEMA: _s, ...inherited } = process.env;
      const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/crash-app.ts'], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...inherited, ...store, CRASH_HANDLER_MS: String(handlerMs) },
      });
      cleanup.push(async () => void child.kill('SIGKILL'));
      return new Promise((resolve, reject) => {
        child.stdout!.once('data', (d) => resolve({ child, url: `http://127.0.0.1:${String(d).trim()}` }));
        child.once('exit', (code) => reject(new Error(`app exited early (${code})`)));
      });
    };
    // The first is slow (200 ms a handler): when it dies it holds most of what it took in.
    const first = await start(200);
    const second = await start(3);
    const body = (id: number) =>
      formEncode({
        event: 'ONTESTOBJECT',
        data: { FIELDS: { ID: String(id) } },
        ts: String(id),
        auth: { member_id: 'crash-member', application_token: 'crash-token' },
      });
    const accepted: number[] = [];
    for (let id = 0; id < 200; id++) if ((await post(first.url, body(id))) === 200) accepted.push(id);
    first.child.kill('SIGKILL');
    assert.equal(accepted.length, 200);
    const db = await openStoreOf(store);
    cleanup.push(() => db.close());
    const left = await db.get<{ n: number }>(
      "SELECT COUNT(*) AS n FROM inbox WHERE state IN ('pending', 'processing')",
    );
    assert.ok(Number(left?.n) > 50, `the dead instance left its rows (${left?.n})`);

    await waitFor(
      async () =>
        (
          await db.get<{ n: number }>(
            "SELECT COUNT(*) AS n FROM inbox WHERE state IN ('pending', 'processing')",
          )
        )?.n === 0,
      'the other instance drained the dead one’s rows',
      60_000,
    );
    const effects = new Set(
      (await db.all<{ key: string }>('SELECT key FROM test_effects')).map((r) => Number(r.key)),
    );
    for (const id of accepted) assert.ok(effects.has(id), `event ${id} took effect`);
    second.child.kill('SIGKILL');
  });
});
