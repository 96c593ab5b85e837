import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { waitFor } from '../helpers/context.ts';
import { closeAll, olPortal, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

const MIN = 60_000;

describe('sync: cost grows with change, not with the backlog', () => {
  test('a sync with 400 waiting dialogs sends as many requests as one with 4', async () => {
    // Nobody can take a dialog (the only member is offline and the line checks availability),
    // so every new dialog waits with the app's bot.
    const p = await olPortal({
      seed: {
        ...SEED,
        users: (SEED.users ?? []).map((u) => (u.id === 2 ? { ...u, online: false } : u)),
        lines: [
          { id: 1, name: 'Sales chat', queue: [2], config: { QUEUE_TYPE: 'evenly', CHECK_AVAILABLE: 'Y' } },
        ],
      },
    });
    const waiting = async () => (await p.dialogs.countByState(p.memberId)).waiting;
    const addWaiting = async (n: number, tag: string) => {
      const before = await waiting();
      for (let i = 0; i < n; i++) p.emu.sim.clientWrites({ lineId: 1, clientKey: `${tag}-${i}`, text: 'Hi' });
      await waitFor(async () => (await waiting()) === before + n, `${n} more waiting`, 60_000);
      await p.settle();
    };
    const t0 = Date.now();
    const requestsOfSync = async (now: number) => {
      const before = p.emu.httpRequests;
      const s = await p.runJob('sync', now);
      assert.equal(s.status, 'ok', JSON.stringify(s));
      return p.emu.httpRequests - before;
    };

    // A new dialog is read once by the first syncs after it arrived (that cost is per arrival);
    // these runs pay it, then the steady cost is measured.
    const readNewOnes = async (from: number) => {
      for (let k = 0; k < 6; k++) await requestsOfSync(from + k * 1000);
    };
    await addWaiting(4, 'few');
    await readNewOnes(t0 + 1 * MIN);
    const few = await requestsOfSync(t0 + 15 * MIN);

    await addWaiting(396, 'many');
    await readNewOnes(t0 + 16 * MIN);
    const many = await requestsOfSync(t0 + 30 * MIN);

    assert.equal(await waiting(), 400);
    assert.equal(many, few, `requests per sync: ${few} with 4 waiting, ${many} with 400`);
  });

  test('a backlog is still walked through: every waiting dialog the client left is found by later syncs', async () => {
    const p = await olPortal({
      seed: {
        ...SEED,
        users: (SEED.users ?? []).map((u) => (u.id === 2 ? { ...u, online: false } : u)),
        lines: [
          { id: 1, name: 'Sales chat', queue: [2], config: { QUEUE_TYPE: 'evenly', CHECK_AVAILABLE: 'Y' } },
        ],
      },
    });
    const chats: number[] = [];
    for (let i = 0; i < 60; i++)
      chats.push(p.emu.sim.clientWrites({ lineId: 1, clientKey: `gone-${i}`, text: 'Hi' }).chatId);
    await waitFor(
      async () => (await p.dialogs.countByState(p.memberId)).waiting === 60,
      '60 waiting',
      60_000,
    );
    await p.settle();
    const t0 = Date.now();
    await p.runJob('sync', t0); // each new one is read once
    // The portal closes every one of them (the client went away); no event tells the app.
    for (const chat of chats) p.emu.sim.closeDialog(chat);
    const reads: number[] = [];
    for (let k = 1; k <= 4; k++) {
      const s = await p.runJob('sync', t0 + k * 3 * MIN);
      reads.push(Number((s.totals as Record<string, unknown>).read));
    }
    assert.ok(
      reads.every((n) => n <= 20),
      `each sync reads a bounded number: ${reads.join(', ')}`,
    );
    const counts = await p.dialogs.countByState(p.memberId);
    assert.equal(counts.waiting, 0, 'three syncs of 20 found all 60 closed');
    assert.equal(counts.closed, 60);
  });
});
