import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../src/db/sqlite.ts';
import { type Emulator, type PortalSeed, startEmulator } from 'b24-emulator';
import { BOT_TRANSFER } from '../src/openlines/move-commands.ts';
import { type ChildApp, freePort, startChildApp } from '../test/helpers/child-app.ts';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, waitFor } from '../test/helpers/context.ts';
import type { BenchModule, BenchRow } from './harness.ts';
import { round } from './harness.ts';

// Exactly once toward the portal: what it costs to recover after a crash with writes on the
// wire. The app (the production entry point) is killed while a batch of transfers is at the
// portal, done and unanswered; the figures are the new process's read-back requests per
// recovered move and the time from its start to every move settled.

const OPERATORS = [2, 3, 4, 5, 6];
const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true },
    ...OPERATORS.map((id) => ({ id, name: 'Operator', lastName: String(id) })),
  ],
  lines: [{ id: 1, name: 'Support', queue: OPERATORS, config: { QUEUE_TYPE: 'evenly' } }],
};

const readsBack = (c: Emulator['calls'][number]) =>
  c.method === 'batch' && JSON.stringify(c.params).includes('imopenlines.dialog.get');
const sendsTransfers = (c: Emulator['calls'][number]) =>
  c.method === 'batch' && JSON.stringify(c.params).includes(BOT_TRANSFER);

async function crashOnce(dialogs: number): Promise<BenchRow> {
  const emu = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: { drainPerSec: 2, burst: 50 },
    latencyMs: 300,
    timerIntervalMs: 0,
    language: 'en',
    seed: SEED,
  });
  const dir = mkdtempSync(join(tmpdir(), 'bench-recovery-'));
  const databasePath = join(dir, 'app.sqlite');
  const port = await freePort();
  const start = () => startChildApp({ port, store: { DATABASE_PATH: databasePath }, oauthServer: emu.url });
  let app: ChildApp = await start();
  try {
    await emu.install({ appBaseUrl: app.url });
    emu.finishInstall();
    await waitFor(
      () => [...emu.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y'),
      'bot attached',
      30_000,
    );
    const held = emu.holdAnswers((m, p) => m === 'batch' && JSON.stringify(p).includes(BOT_TRANSFER));
    const chats: number[] = [];
    for (let i = 0; i < dialogs; i++) {
      chats.push(emu.sim.clientWrites({ lineId: 1, clientKey: `c${i}`, text: 'Hello' }).chatId);
    }
    await held.arrived;
    // Let the rest of the burst reach the register too: acknowledged, decided, not yet sent.
    await new Promise((r) => setTimeout(r, 1500));
    await app.kill();
    held.release();
    await emu.idle();
    const db = await Database.open(databasePath);
    const inFlight = async () =>
      (
        await db.all<{ pending: string }>(
          "SELECT pending FROM ol_dialogs WHERE state = 'transferring' AND pending IS NOT NULL",
        )
      ).map((r) => JSON.parse(r.pending) as { attempts: number });
    const before = await inFlight();
    const sent = before.filter((p) => p.attempts > 0).length;
    const callsBefore = emu.calls.length;
    const requestsBefore = emu.httpRequests;
    const t0 = performance.now();
    app = await start();
    await waitFor(async () => (await inFlight()).length === 0, 'every move settled', 120_000);
    const settledMs = performance.now() - t0;
    const calls = emu.calls.slice(callsBefore);
    const readBack = calls.filter(readsBack).length;
    const resent = calls.filter(sendsTransfers).length;
    const requests = emu.httpRequests - requestsBefore;
    await db.close();
    const perChat = new Map<number, number>();
    for (const c of emu.calls) {
      if (c.method !== BOT_TRANSFER) continue;
      const chat = Number((c.params as Record<string, unknown>).CHAT_ID);
      perChat.set(chat, (perChat.get(chat) ?? 0) + 1);
    }
    const twice = chats.filter((c) => (perChat.get(c) ?? 0) > 1).length;
    return {
      case: `crash with ${sent} transfers done but unanswered and ${before.length - sent} recorded, not sent (300 ms portal, 2 req/s)`,
      figures: {
        'read-back requests': readBack,
        'read-back requests per recovered move': round(readBack / Math.max(1, before.length), 3),
        'transfer batches resent': resent,
        'all requests of the new process until settled': requests,
        's from restart to every move settled': round(settledMs / 1000, 1),
        'dialogs transferred twice': twice,
      },
      target: 'none transferred twice; ≤ 1 read per 50 recovered moves',
      met: twice === 0 && readBack <= Math.ceil(Math.max(1, sent) / 50),
    };
  } finally {
    await app.stop();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const bench: BenchModule = {
  title: 'Exactly once toward the portal: recovery after a crash with writes on the wire',
  async run({ quick }) {
    return [await crashOnce(quick ? 60 : 150)];
  },
};
export default bench;
