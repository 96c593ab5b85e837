import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type Emulator, startEmulator } from 'b24-emulator';
import { BOT_TRANSFER } from '../../src/openlines/move-commands.ts';
import { type Balancer, startBalancer } from '../helpers/balancer.ts';
import { type ChildApp, freePort, startChildApp } from '../helpers/child-app.ts';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, waitFor } from '../helpers/context.ts';
import { dropStore, freshStoreEnv, openStoreOf, type StoreEnv } from '../helpers/store.ts';
import { SEED } from './openlines-helpers.ts';

// Issue 14 (b): three instances of the production entry point, each a process of its own, on
// one PostgreSQL database behind a load balancer; one is killed with SIGKILL in the middle of
// a burst of 300 dialogs while its transfers are at the portal, under the portal's real limit
// (2 requests a second, burst 50) and 100 ms answers. (Runs in npm test's PostgreSQL pass:
// several instances on one database is what PostgreSQL is for.)

const seed = {
  ...SEED,
  lines: [{ id: 1, name: 'Sales chat', queue: [2, 3, 4, 5], config: { QUEUE_TYPE: 'evenly' } }],
};

const carriesTransfers = (method: string, params: Record<string, unknown>) =>
  method === 'batch' && JSON.stringify(params).includes(BOT_TRANSFER);

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Chats whose join event an instance acknowledged: those the app promised not to lose. */
function acknowledged(emu: Emulator, chats: number[]): number[] {
  const ok = new Set<string>();
  for (const d of emu.deliveries) {
    if (d.outcome !== 'delivered' || !/JOINCHAT/i.test(d.event)) continue;
    const m = /dialogId%5D=chat(\d+)|CHAT_ID%5D=(\d+)/.exec(d.body);
    if (m) ok.add(m[1] ?? m[2]);
  }
  return chats.filter((id) => ok.has(String(id)));
}

describe('three instances on one PostgreSQL database, one killed mid-burst', () => {
  test('every acknowledged dialog is transferred exactly once; no request is refused for rate', async () => {
    const emu = await startEmulator({
      app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
      rateLimit: { drainPerSec: 2, burst: 50 },
      latencyMs: 100,
      timerIntervalMs: 0,
      language: 'en',
      seed,
    });
    cleanup.push(() => emu.stop());
    const dir = mkdtempSync(join(tmpdir(), 'b24d-three-'));
    const store: StoreEnv = freshStoreEnv(dir);
    cleanup.push(async () => {
      await dropStore(store);
      rmSync(dir, { recursive: true, force: true });
    });
    const upstreams: string[] = [];
    const lb: Balancer = await startBalancer(upstreams, { seed: 14 });
    cleanup.push(() => lb.close());
    const apps: ChildApp[] = [];
    for (let i = 0; i < 3; i++) {
      const app = await startChildApp({
        port: await freePort(),
        store,
        oauthServer: emu.url,
        env: { PUBLIC_URL: lb.url },
      });
      apps.push(app);
      upstreams.push(app.url);
      cleanup.push(() => app.stop());
    }

    const page = await emu.install({ appBaseUrl: lb.url });
    assert.equal(page.status, 200, page.body);
    emu.finishInstall();
    await waitFor(
      () => [...emu.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y'),
      'bot attached to the line',
      30_000,
    );

    const chats: number[] = [];
    const wave = (n: number) => {
      for (let i = 0; i < n; i++) {
        chats.push(emu.sim.clientWrites({ lineId: 1, clientKey: `c${chats.length}`, text: 'Hello' }).chatId);
      }
    };
    // The first half; the portal keeps the answers to the transfer batches while an instance dies.
    const held = emu.holdAnswers(carriesTransfers);
    wave(150);
    await Promise.race([
      held.arrived,
      new Promise((_, reject) => setTimeout(() => reject(new Error('no transfer batch came')), 60_000)),
    ]);
    await apps[0]!.kill();
    held.release();
    // The second half, while its events and moves are still to be finished by the others.
    wave(150);
    await emu.idle();

    const promised = acknowledged(emu, chats);
    assert.ok(promised.length >= 280, `most joins were acknowledged (${promised.length} of 300)`);
    const bots = new Set(emu.state.bots.keys());
    await waitFor(
      () =>
        promised.every((id) => {
          const owner = emu.state.chats.get(id)!.ownerId;
          return owner !== 0 && !bots.has(owner);
        }),
      'every acknowledged dialog with an operator',
      180_000,
    );
    const db = await openStoreOf(store);
    try {
      await waitFor(
        async () =>
          (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM ol_dialogs WHERE state = 'transferring'"))
            ?.n === 0,
        'no move left in flight in the register',
        60_000,
      );
      const logged = await db.all<{ object_id: string; n: number }>(
        "SELECT object_id, COUNT(*) AS n FROM assignment_log WHERE action = 'assign' GROUP BY object_id",
      );
      const logs = new Map(logged.map((l) => [Number(l.object_id), Number(l.n)]));
      for (const id of promised) {
        if (logs.get(id) === 1) continue;
        // What the store holds of it, so a failure says which path settled the dialog.
        const entries = await db.all(
          'SELECT action, operator_id, reason FROM assignment_log WHERE object_id = ?',
          [String(id)],
        );
        const row = await db.all(
          'SELECT state, holder, operator_id, pending FROM ol_dialogs WHERE chat_id = ?',
          [id],
        );
        assert.equal(
          logs.get(id),
          1,
          `chat ${id} logged once: log ${JSON.stringify(entries)}, row ${JSON.stringify(row)}`,
        );
      }
    } finally {
      await db.close();
    }

    const transfers = new Map<number, number>();
    for (const c of emu.calls) {
      if (c.method !== BOT_TRANSFER || c.error) continue;
      const chat = Number((c.params as Record<string, unknown>).CHAT_ID);
      transfers.set(chat, (transfers.get(chat) ?? 0) + 1);
    }
    const twice = promised.filter((id) => (transfers.get(id) ?? 0) > 1);
    assert.deepEqual(twice, [], `transferred more than once: ${twice.length}`);
    for (const id of promised) assert.equal(transfers.get(id), 1, `chat ${id} transferred once`);
    const refused = emu.calls.filter((c) => c.error === 'QUERY_LIMIT_EXCEEDED');
    assert.deepEqual(
      refused.map((c) => `${c.method} at ${c.at}`),
      [],
      `no request refused for rate (of ${emu.calls.length})`,
    );
    const served = upstreams.map((u) => lb.served.get(u) ?? 0);
    assert.ok(
      served.every((n) => n > 0),
      `the balancer spread the work over all three (${served.join(' / ')})`,
    );
  });
});
