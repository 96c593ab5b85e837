import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, describe, test } from 'node:test';
import { migrate } from '../../src/db/migrate.ts';
import { SettingsRepository } from '../../src/db/repositories/settings.ts';
import { leadSettingsSchema } from '../../src/settings/schema.ts';
import { SettingsService } from '../../src/settings/service.ts';
import { type Emulator, startEmulator } from 'b24-emulator';
import { BOT_TRANSFER } from '../../src/openlines/move-commands.ts';
import { type ChildApp, freePort, startChildApp } from '../helpers/child-app.ts';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, waitFor } from '../helpers/context.ts';
import { dropStore, freshStoreEnv, openStoreOf, type StoreEnv } from '../helpers/store.ts';
import { createLeadsFeature } from '../../src/crm/feature.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import { closeAll, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

// Issue: exactly once toward the portal, even when the process dies with a write on the wire.
// The portal answers in 300 ms, as a real one may; the app (the production entry point, in a
// child process) is killed with SIGKILL while a batch of transfers is at the portal, done but
// unanswered, three times in one burst, and started again on the same database each time.

const seed = {
  ...SEED,
  lines: [{ id: 1, name: 'Sales chat', queue: [2, 3, 4], config: { QUEUE_TYPE: 'evenly' } }],
};

const carriesTransfers = (method: string, params: Record<string, unknown>) =>
  method === 'batch' && JSON.stringify(params).includes(BOT_TRANSFER);

/** Chats whose join event the app acknowledged: those it promised not to lose. */
function acknowledged(emu: Emulator, chats: Map<number, string>): number[] {
  const ok = new Set<string>();
  for (const d of emu.deliveries) {
    if (d.outcome !== 'delivered' || !/JOINCHAT/i.test(d.event)) continue;
    // v2: data[dialogId]=chat<id>; v1: data[PARAMS][CHAT_ID]=<id>
    const m = /dialogId%5D=chat(\d+)|CHAT_ID%5D=(\d+)/.exec(d.body);
    if (m) ok.add(m[1] ?? m[2]);
  }
  return [...chats.keys()].filter((id) => ok.has(String(id)));
}

function transfersOf(emu: Emulator): Map<number, number> {
  const n = new Map<number, number>();
  for (const c of emu.calls) {
    if (c.method !== BOT_TRANSFER) continue;
    const chat = Number((c.params as Record<string, unknown>).CHAT_ID);
    n.set(chat, (n.get(chat) ?? 0) + 1);
  }
  return n;
}

describe('exactly once toward the portal: answers lost in flight', () => {
  afterEach(closeAll);

  test('a fifth of the transfer batches done but unanswered: each dialog transferred once, recorded once', async () => {
    const p = await olPortal({ seed, emulator: { latencyMs: 20 } });
    p.emu.injectWireFault({ kind: 'reset', rate: 0.2, seed: 3 });
    const chats: number[] = [];
    for (let i = 0; i < 100; i++) {
      chats.push(p.emu.sim.clientWrites({ lineId: 1, clientKey: `lost-${i}`, text: 'Hello' }).chatId);
    }
    await waitFor(async () => {
      await p.settle();
      const rows = await Promise.all(chats.map((c) => p.row(c)));
      return rows.every((r) => r?.state === 'assigned');
    }, 'every dialog assigned in the register');
    assert.ok(p.emu.lostAnswers.reset >= 3, `answers were lost (${p.emu.lostAnswers.reset})`);
    const counts = transfersOf(p.emu);
    for (const c of chats) {
      assert.equal(counts.get(c), 1, `chat ${c} transferred once`);
      assert.equal(
        ownerOf(p, c),
        (await p.row(c))?.operatorId,
        `chat ${c}: the portal and the register agree`,
      );
      assert.equal((await p.log(c)).filter((l) => l.action === 'assign').length, 1, `chat ${c} logged once`);
    }
  });
});

describe('exactly once toward the portal: lead writes whose answers are lost', () => {
  afterEach(closeAll);

  test('a third of the lead write batches done but unanswered: one responsible update and one comment each', async () => {
    const p = await olPortal({ seed, features: [createOpenLinesFeature(), createLeadsFeature()] });
    await p.app.ctx.settings.write(
      p.memberId,
      'leads',
      leadSettingsSchema,
      { rules: { mode: 'evenly', queue: [{ id: 2 }, { id: 3 }, { id: 4 }] } },
      null,
    );
    p.emu.injectWireFault({ kind: 'reset', rate: 0.35, seed: 11 });
    const leads: number[] = [];
    for (let i = 0; i < 30; i++) leads.push(p.emu.sim.addLead({ title: `Lead ${i}` }));
    const comments = (id: number) =>
      [...p.emu.state.crm.comments.values()].filter((c) => c.entityType === 'lead' && c.entityId === id);
    await waitFor(async () => {
      await p.settle();
      return leads.every((id) => comments(id).length > 0);
    }, 'every lead commented');
    await p.settle();
    assert.ok(p.emu.lostAnswers.reset >= 3, `answers were lost (${p.emu.lostAnswers.reset})`);
    for (const id of leads) {
      const updates = p.emu.calls.filter(
        (c) => c.method === 'crm.item.update' && Number((c.params as Record<string, unknown>).id) === id,
      );
      assert.equal(updates.length, 1, `lead ${id}: one update of its responsible`);
      assert.equal(comments(id).length, 1, `lead ${id}: one comment`);
      assert.match(
        comments(id)[0].comment,
        /\(ref\. [A-Z0-9]{8}\)$/,
        'the comment carries its decision code',
      );
    }
  });
});

describe('exactly once toward the portal', () => {
  const dirs: string[] = [];
  const stores: StoreEnv[] = [];
  after(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const s of stores) await dropStore(s);
  });

  test('kill -9 three times while a transfer batch is on the wire: every acknowledged dialog transferred exactly once', async () => {
    const emu = await startEmulator({
      app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
      rateLimit: { drainPerSec: 2, burst: 50 },
      latencyMs: 300,
      timerIntervalMs: 0,
      language: 'en',
      seed,
    });
    const dir = mkdtempSync(join(tmpdir(), 'once-'));
    dirs.push(dir);
    const store = freshStoreEnv(dir);
    stores.push(store);
    const port = await freePort();
    const start = () => startChildApp({ port, store, oauthServer: emu.url });
    let app: ChildApp = await start();
    try {
      const page = await emu.install({ appBaseUrl: app.url });
      assert.equal(page.status, 200, page.body);
      emu.finishInstall();
      await waitFor(
        () => [...emu.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y'),
        'bot attached to the line',
        30_000,
      );
      const chats = new Map<number, string>();
      let n = 0;
      const wave = (size: number) => {
        for (let i = 0; i < size; i++) {
          const key = `client-${++n}`;
          chats.set(emu.sim.clientWrites({ lineId: 1, clientKey: key, text: 'Hello' }).chatId, key);
        }
      };
      for (let kill = 0; kill < 3; kill++) {
        const held = emu.holdAnswers(carriesTransfers);
        wave(40);
        await Promise.race([
          held.arrived,
          new Promise((_, reject) => setTimeout(() => reject(new Error('no transfer batch came')), 30_000)),
        ]);
        // While the batch stays on the wire, the app takes in the rest of the wave (the events
        // come one at a time): every dialog of it is acknowledged, decided or not, when it dies.
        await waitFor(
          () =>
            emu.deliveries.every((d) => !/JOINCHAT/i.test(d.event) || d.outcome !== 'pending') &&
            acknowledged(emu, chats).length >= chats.size - 2,
          'the wave taken in',
          30_000,
        );
        await app.kill();
        held.release();
        await emu.idle();
        app = await start();
      }
      wave(80);
      await emu.idle();
      const promised = acknowledged(emu, chats);
      assert.ok(promised.length >= 190, `most joins were acknowledged (${promised.length})`);
      const botIds = new Set(emu.state.bots.keys());
      await waitFor(
        () =>
          promised.every((id) => {
            const owner = emu.state.chats.get(id)!.ownerId;
            return owner !== 0 && !botIds.has(owner);
          }),
        'every acknowledged dialog with an operator',
        90_000,
      );
      // …and the app's own record agrees: each one assigned once, logged once.
      const db = await openStoreOf(store);
      try {
        await waitFor(
          async () =>
            (await db.get<{ n: number }>("SELECT COUNT(*) AS n FROM ol_dialogs WHERE state = 'transferring'"))
              ?.n === 0,
          'no move left in flight in the register',
          60_000,
        );
        const rows = await db.all<{ chat_id: number; state: string; operator_id: number }>(
          'SELECT chat_id, state, operator_id FROM ol_dialogs',
        );
        const byChat = new Map(rows.map((r) => [r.chat_id, r]));
        for (const id of promised) {
          const r = byChat.get(id);
          assert.equal(r?.state, 'assigned', `chat ${id} is assigned in the register`);
          assert.equal(
            r?.operator_id,
            emu.state.chats.get(id)!.ownerId,
            `to the operator who has it (${id})`,
          );
        }
        const logged = await db.all<{ object_id: string; n: number }>(
          "SELECT object_id, COUNT(*) AS n FROM assignment_log WHERE action = 'assign' GROUP BY object_id",
        );
        const logs = new Map(logged.map((l) => [Number(l.object_id), l.n]));
        for (const id of promised) assert.equal(logs.get(id), 1, `chat ${id} logged once`);
      } finally {
        await db.close();
      }
      const counts = transfersOf(emu);
      const twice = promised.filter((id) => (counts.get(id) ?? 0) > 1);
      assert.deepEqual(twice, [], `transferred more than once: ${twice.length} of ${promised.length}`);
      for (const id of promised) assert.equal(counts.get(id), 1, `chat ${id} transferred once`);
    } finally {
      await app.stop();
      await emu.stop();
    }
  });
});

describe('exactly once toward the portal: leads', () => {
  const dirs: string[] = [];
  const stores: StoreEnv[] = [];
  after(async () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const s of stores) await dropStore(s);
  });

  test('kill -9 three times while a lead write (responsible + comment) is on the wire: each lead assigned once, one comment', async () => {
    const emu = await startEmulator({
      app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
      rateLimit: { drainPerSec: 2, burst: 50 },
      latencyMs: 300,
      timerIntervalMs: 0,
      language: 'en',
      seed,
    });
    const dir = mkdtempSync(join(tmpdir(), 'once-leads-'));
    dirs.push(dir);
    const store = freshStoreEnv(dir);
    stores.push(store);
    // The lead rules are in place before the app first starts (what the settings page stores).
    const db = await openStoreOf(store);
    await migrate(db);
    await new SettingsService(new SettingsRepository(db), Date.now).write(
      emu.memberId,
      'leads',
      leadSettingsSchema,
      { rules: { mode: 'evenly', queue: [{ id: 2 }, { id: 3 }, { id: 4 }] } },
      null,
    );
    await db.close();
    const port = await freePort();
    const start = () => startChildApp({ port, store, oauthServer: emu.url });
    let app: ChildApp = await start();
    try {
      const page = await emu.install({ appBaseUrl: app.url });
      assert.equal(page.status, 200, page.body);
      emu.finishInstall();
      await waitFor(
        () => [...emu.state.bindings.values()].some((b) => b.event === 'ONCRMLEADADD'),
        'lead events bound',
        30_000,
      );
      const leads: number[] = [];
      const wave = (size: number) => {
        for (let i = 0; i < size; i++) leads.push(emu.sim.addLead({ title: `Lead ${leads.length + 1}` }));
      };
      const carriesComment = (method: string, params: Record<string, unknown>) =>
        method === 'batch' && JSON.stringify(params).includes('crm.timeline.comment.add');
      for (let kill = 0; kill < 3; kill++) {
        const held = emu.holdAnswers(carriesComment);
        wave(8);
        await Promise.race([
          held.arrived,
          new Promise((_, reject) => setTimeout(() => reject(new Error('no lead write came')), 30_000)),
        ]);
        await app.kill();
        held.release();
        await emu.idle();
        app = await start();
      }
      wave(8);
      await emu.idle();
      const taken = new Set<number>();
      for (const d of emu.deliveries) {
        const m = /FIELDS%5D%5BID%5D=(\d+)/.exec(d.body);
        if (d.outcome === 'delivered' && d.event === 'ONCRMLEADADD' && m) taken.add(Number(m[1]));
      }
      const promised = leads.filter((id) => taken.has(id));
      assert.ok(promised.length >= 16, `most lead events were acknowledged (${promised.length})`);
      const comments = (id: number) =>
        [...emu.state.crm.comments.values()].filter((c) => c.entityType === 'lead' && c.entityId === id);
      await waitFor(
        () => promised.every((id) => comments(id).length > 0),
        'every acknowledged lead commented',
        90_000,
      );
      // A moment for anything still in flight to land twice, if it were going to.
      await new Promise((r) => setTimeout(r, 2000));
      await emu.idle();
      for (const id of promised) {
        const lead = emu.state.crm.leads.get(id)!;
        assert.ok([2, 3, 4].includes(lead.assignedById), `lead ${id} has an operator`);
        const updates = emu.calls.filter(
          (c) => c.method === 'crm.item.update' && Number((c.params as Record<string, unknown>).id) === id,
        );
        assert.equal(updates.length, 1, `lead ${id}: one update of its responsible`);
        assert.equal(comments(id).length, 1, `lead ${id}: one comment`);
      }
    } finally {
      await app.stop();
      await emu.stop();
    }
  });
});
