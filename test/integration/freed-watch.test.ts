import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { FreedWatch } from '../../src/openlines/freed-watch.ts';
import { lineSettingsSchema } from '../../src/settings/schema.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

const watchOf = (p: OlPortal) => p.app.ctx.services.freedWatch as FreedWatch;

function seed(config: Record<string, string>, users = SEED.users ?? []) {
  return {
    ...SEED,
    users,
    lines: [{ id: 1, name: 'Sales chat', queue: [2], config: { QUEUE_TYPE: 'evenly', ...config } }],
  };
}

describe('freed capacity is used at once, not at the next sync', () => {
  test('an operator at the limit closes a dialog: the waiting one is theirs on the next watch tick', async () => {
    const p = await olPortal({ seed: seed({ MAX_CHAT: '1' }) });
    assert.equal((await watchOf(p).tick(p.memberId)).commands, 0, 'nothing waits: nothing is read');
    const first = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, first), 2);
    const second = await p.newDialog();
    await p.settle();
    assert.equal((await p.row(second))!.state, 'waiting', 'operator 2 is at the limit');

    // The dialog ends at the portal; no event reaches the app (it is not the line's connector).
    p.emu.sim.closeDialog(first);
    await p.settle();
    assert.equal((await p.row(second))!.state, 'waiting', 'nothing told the app yet');

    const r = await watchOf(p).tick(p.memberId);
    await p.settle();
    assert.equal(r.closed, 1);
    assert.ok(r.commands > 0 && r.commands <= 50, 'one batch request');
    assert.equal(ownerOf(p, second), 2, 'the waiting dialog went to the operator who freed the place');
    assert.equal((await p.row(second))!.state, 'assigned');
  });

  test('an operator comes back from a break: the waiting dialog goes to them on the next tick', async () => {
    const users = (SEED.users ?? []).map((u) => (u.id === 2 ? { ...u, online: false } : u));
    const p = await olPortal({ seed: seed({ CHECK_AVAILABLE: 'Y' }, users) });
    const chat = await p.newDialog();
    await p.settle();
    assert.equal((await p.row(chat))!.state, 'waiting');
    const quiet = await watchOf(p).tick(p.memberId);
    assert.equal(quiet.returned, 0, 'still away');
    await p.settle();
    assert.equal((await p.row(chat))!.state, 'waiting');

    p.emu.sim.setUser(2, { online: true });
    await p.settle();
    assert.equal((await p.row(chat))!.state, 'waiting', 'nothing told the app yet');
    const r = await watchOf(p).tick(p.memberId);
    await p.settle();
    assert.equal(r.returned, 1);
    assert.equal(ownerOf(p, chat), 2);
    assert.equal(p.transfers().length, 1);
  });

  test('an answer stops a dialog counting (the line counts the unanswered): the waiting one goes on the next tick', async () => {
    const p = await olPortal({ seed: seed({}) });
    await p.app.ctx.settings.write(
      p.memberId,
      'line:1',
      lineSettingsSchema,
      {
        useLineSettings: false,
        rules: { mode: 'evenly', capacity: { limit: 1, counts: 'not_yet_answered' } },
      },
      null,
    );
    const first = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, first), 2);
    const second = await p.newDialog();
    await p.settle();
    assert.equal((await p.row(second))!.state, 'waiting', 'one unanswered dialog fills the place');

    p.emu.sim.operatorWrites({ chatId: first, userId: 2, text: 'Hello!' });
    await p.settle();
    assert.equal((await p.row(second))!.state, 'waiting', 'nothing told the app yet');
    const r = await watchOf(p).tick(p.memberId);
    await p.settle();
    assert.equal(r.answered, 1);
    assert.equal(ownerOf(p, second), 2, 'the answered dialog no longer counts: the waiting one is theirs');
  });
});
