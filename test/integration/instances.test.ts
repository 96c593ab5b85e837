import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { type Emulator, startEmulator } from 'b24-emulator';
import { z } from 'zod';
import type { Feature } from '../../src/app-context.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import type { OpenLinesService } from '../../src/openlines/service.ts';
import { type Cluster, startCluster } from '../helpers/cluster.ts';
import { formEncode, startTestApp, TEST_CLIENT_ID, TEST_CLIENT_SECRET, waitFor } from '../helpers/context.ts';
import { seedInstallation } from '../helpers/portal.ts';
import { dropStore, freshStoreEnv } from '../helpers/store.ts';
import { SEED } from './openlines-helpers.ts';

const open: { close(): Promise<void> }[] = [];
after(async () => {
  for (const x of open.splice(0).reverse()) await x.close();
});

/** Line 1, evenly between operators 2, 3 and 4, with no limit: the split is the rotation alone. */
async function portal(): Promise<Emulator> {
  const emu = await startEmulator({
    app: { clientId: TEST_CLIENT_ID, clientSecret: TEST_CLIENT_SECRET },
    rateLimit: false,
    timerIntervalMs: 0,
    language: 'en',
    seed: {
      ...SEED,
      lines: [{ id: 1, name: 'Sales chat', queue: [2, 3, 4], config: { QUEUE_TYPE: 'evenly' } }],
    },
  });
  open.push({ close: () => emu.stop() });
  return emu;
}

async function installed(emu: Emulator, c: Cluster): Promise<void> {
  const page = await emu.install({ appBaseUrl: c.lb.url });
  assert.equal(page.status, 200, page.body);
  emu.finishInstall();
  await waitFor(
    () => [...emu.state.lines.values()].every((l) => l.config.WELCOME_BOT_ENABLE === 'Y'),
    'bot attached to the line',
    30_000,
  );
}

/** A burst of dialogs, all written at once; resolves when every one has an operator. */
async function burst(emu: Emulator, c: Cluster, n: number): Promise<number[]> {
  const chats: number[] = [];
  for (let i = 0; i < n; i++)
    chats.push(emu.sim.clientWrites({ lineId: 1, clientKey: `c${i}`, text: 'Hello' }).chatId);
  const bots = new Set(emu.state.bots.keys());
  await waitFor(
    async () => {
      await emu.idle();
      for (const a of c.apps) await (a.ctx.services.openlines as OpenLinesService).idle();
      return chats.every((id) => {
        const owner = emu.state.chats.get(id)!.ownerId;
        return owner !== 0 && !bots.has(owner);
      });
    },
    'every dialog with an operator',
    60_000,
  );
  return chats;
}

function split(emu: Emulator, chats: number[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const id of chats) {
    const owner = emu.state.chats.get(id)!.ownerId;
    out[owner] = (out[owner] ?? 0) + 1;
  }
  return out;
}

describe('several instances on one store', () => {
  test('two instances racing on one evenly queue split it as one instance does', async () => {
    const emu = await portal();
    const c = await startCluster(2, { emu, features: () => [createOpenLinesFeature()], seed: 7 });
    open.push(c);
    await installed(emu, c);

    // Events are spread over the two as a load balancer spreads them (at random), so each
    // instance decides on the same queue while the other does.
    const chats = await burst(emu, c, 30);
    const joins = c.apps.map((a) => (c.lb.events.get(a.url) ?? []).filter((e) => /JOINCHAT/.test(e)).length);
    assert.ok(
      joins.every((n) => n >= 5),
      `both instances placed dialogs (${joins.join(' + ')})`,
    );
    assert.deepEqual(split(emu, chats), { 2: 10, 3: 10, 4: 10 }, 'what one instance gives: ten each');
    const transfers = emu.calls.filter((x) => /transfer/i.test(x.method) && !x.error);
    assert.equal(transfers.length, 30, 'one transfer per dialog');
  });

  test('an uninstall or a reinstall written by one instance is seen by the other at its very next request', async () => {
    // A stand-in event: the intake checks the portal and its token before anything else.
    const echo: Feature = {
      name: 'echo',
      register(ctx) {
        ctx.router.on({
          event: 'ONTESTOBJECT',
          schema: z.object({ event: z.string() }).passthrough(),
          objectKey: () => 'x',
          async handle() {},
        });
      },
    };
    const dir = mkdtempSync(join(tmpdir(), 'b24d-inst-'));
    const store = freshStoreEnv(dir);
    const a = await startTestApp({ env: { ...store }, features: [echo], sharedStore: true });
    const b = await startTestApp({ env: { ...store }, features: [echo], sharedStore: true });
    open.push({
      async close() {
        await a.close();
        await b.close();
        await dropStore(store);
        rmSync(dir, { recursive: true, force: true });
      },
    });
    const send = (url: string, token: string) =>
      fetch(`${url}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: formEncode({
          event: 'ONTESTOBJECT',
          data: {},
          auth: { member_id: 'member-a', application_token: token },
        }),
      }).then((r) => r.status);

    const { memberId } = await seedInstallation(a.ctx, { applicationToken: 'token-1' });
    assert.equal(await send(b.url, 'token-1'), 200, 'instance b knows the portal (and keeps it)');
    assert.equal(await send(b.url, 'token-1'), 200);

    await a.ctx.store.markUninstalled(memberId, new Date());
    assert.equal(await send(b.url, 'token-1'), 401, 'uninstalled on a: refused by b at once');

    await seedInstallation(a.ctx, { applicationToken: 'token-2' });
    assert.equal(await send(b.url, 'token-2'), 200, 'reinstalled on a: the new token is good on b at once');
    assert.equal(await send(b.url, 'token-1'), 401, 'and the old one is not');
  });
});
