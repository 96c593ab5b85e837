import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import request from 'supertest';
import { UNREADABLE_FIRST_PAUSE_MS } from '../../src/openlines/unreadable.ts';
import { webFeature } from '../../src/web/feature.ts';
import type { FreedWatch } from '../../src/openlines/freed-watch.ts';
import { createOpenLinesFeature } from '../../src/openlines/feature.ts';
import { appForm, bootOf } from '../browser/harness.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

/*
 * Issue 22, item 3: imopenlines.dialog.get's ACCESS_ERROR means "Dialog not found or no access to
 * it" (imopenlines/openlines/sessions/imopenlines-dialog-get.md). The portal below refuses for the
 * plainest reason: the administrator whose token the app keeps lost their administrator rights,
 * so every dialog they are not a member of is refused. Every one of those dialogs is still open.
 */

afterEach(closeAll);

const seed = {
  ...SEED,
  lines: [{ id: 1, name: 'Sales chat', queue: [2, 3], config: { QUEUE_TYPE: 'evenly', MAX_CHAT: '1' } }],
};

/** Open sessions each operator holds at the portal. */
function portalLoads(p: OlPortal): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of p.emu.state.sessions.values()) {
    if (s.status === 'closed' || !s.operatorId) continue;
    out.set(s.operatorId, (out.get(s.operatorId) ?? 0) + 1);
  }
  return out;
}

const dialogReads = (p: OlPortal, chats: number[]) =>
  p.emu.calls.filter(
    (c) => c.method === 'imopenlines.dialog.get' && chats.includes(Number((c.params as any).CHAT_ID)),
  );

describe('a dialog the portal will not show is never closed on that answer alone', () => {
  test('sync: ACCESS_ERROR keeps the dialogs open and counted, read again with a growing pause; the dashboard lists them', async () => {
    const p = await olPortal({ seed, features: [createOpenLinesFeature(), webFeature] });
    const page = await request(p.app.ctx.app).post('/app?LANG=en').type('form').send(appForm(p.emu, 1));
    const token = bootOf(page.text).token;
    const dashboard = async () =>
      (
        await request(p.app.ctx.app)
          .get('/api/dashboard')
          .set({ Authorization: `Bearer ${token}` })
      ).body;

    const a = await p.newDialog();
    const b = await p.newDialog();
    await p.settle();
    assert.deepEqual([ownerOf(p, a), ownerOf(p, b)].sort(), [2, 3], 'each operator at the limit of 1');

    p.emu.sim.setUser(1, { admin: false });
    const t0 = p.app.ctx.clock();
    const s1 = await p.runJob('sync', t0);
    assert.equal(s1.totals.unreadable, 2);
    assert.equal(s1.totals.closed, 0, 'an ACCESS_ERROR closes nothing');
    for (const chat of [a, b]) {
      const row = (await p.row(chat))!;
      assert.equal(row.state, 'assigned', 'still open, still counted');
      assert.equal(row.unreadableSince, t0);
      assert.equal(row.unreadableChecks, 1);
    }

    // Nobody is given more than their limit: the next dialog waits.
    const c = await p.newDialog();
    await p.settle();
    assert.equal((await p.row(c))!.state, 'waiting');
    assert.ok(
      [...portalLoads(p).values()].every((n) => n <= 1),
      'no operator above the limit at the portal',
    );

    const d = await dashboard();
    assert.equal(d.unreadable.count, 2);
    assert.deepEqual(d.unreadable.dialogs.map((x: any) => x.chatId).sort(), [a, b].sort());
    assert.match(d.unreadable.note, /ACCESS_ERROR/);
    assert.match(d.unreadable.note, new RegExp(`Chats: .*${a}`));

    // Within the pause nothing is asked again; after it, once more, and the pause doubles.
    p.emu.resetCalls();
    await p.runJob('sync', t0 + UNREADABLE_FIRST_PAUSE_MS / 2);
    assert.equal(dialogReads(p, [a, b]).length, 0, 'not read again within the pause');
    await p.runJob('sync', t0 + UNREADABLE_FIRST_PAUSE_MS + 1);
    assert.equal(dialogReads(p, [a, b]).length, 2);
    assert.equal((await p.row(a))!.unreadableChecks, 2);
    p.emu.resetCalls();
    await p.runJob('sync', t0 + 2 * UNREADABLE_FIRST_PAUSE_MS + 2);
    assert.equal(dialogReads(p, [a, b]).length, 0, 'the second pause is twice the first');

    // The access comes back: the next due read clears the mark and the register follows the portal.
    p.emu.sim.setUser(1, { admin: true });
    const ownerA = ownerOf(p, a);
    p.emu.sim.closeDialog(a);
    await p.runJob('sync', t0 + 4 * UNREADABLE_FIRST_PAUSE_MS);
    assert.equal((await p.row(a))!.state, 'closed', 'read again: the portal shows it over');
    assert.equal((await p.row(b))!.unreadableSince, null);
    await p.settle();
    assert.equal(ownerOf(p, c), ownerA, 'the freed place went to the waiting dialog');
    assert.equal((await dashboard()).unreadable, null);
  });

  test('the freed-place watch: an unreadable held dialog is not taken for closed, and waits out its pause', async () => {
    const p = await olPortal({ seed: { ...seed, lines: [{ ...seed.lines[0], queue: [2] }] } });
    const watch = p.app.ctx.services.freedWatch as FreedWatch;
    const a = await p.newDialog();
    const b = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, a), 2);
    assert.equal((await p.row(b))!.state, 'waiting', 'operator 2 is at the limit');
    p.emu.sim.setUser(1, { admin: false });
    const r = await watch.tick(p.memberId);
    await p.settle();
    assert.equal(r.closed, 0);
    assert.equal((await p.row(a))!.state, 'assigned');
    assert.ok((await p.row(a))!.unreadableSince !== null);
    assert.equal((await p.row(b))!.state, 'waiting', 'nobody above the limit');
    assert.equal((await watch.tick(p.memberId)).commands, 0, 'not read again within its pause');
  });

  test('a refused transfer whose dialog cannot be read keeps its recorded move instead of closing', async () => {
    const p = await olPortal({
      seed: { ...SEED, lines: [{ id: 1, name: 'Sales chat', queue: [2], config: {} }] },
    });
    const bot = [...p.emu.state.bots.values()][0];
    // The transfer is refused (the target left) and the chat cannot be read back.
    p.emu.injectFault({
      method: 'imopenlines.bot.session.transfer',
      times: 1,
      status: 400,
      error: 'OPERATOR_WRONG',
    });
    p.emu.injectFault({ method: 'imopenlines.dialog.get', times: 5, status: 400, error: 'ACCESS_ERROR' });
    const chat = p.emu.sim.clientWrites({ lineId: 1, clientKey: 'k', text: 'Hi' }).chatId;
    await p.settle();
    const row = (await p.row(chat))!;
    assert.notEqual(row.state, 'closed', 'not closed on an unreadable answer');
    assert.equal(row.state, 'transferring', 'the move stays recorded, to be read back');
    assert.ok(row.unreadableSince !== null);
    assert.equal(p.emu.state.chats.get(chat)!.ownerId, bot.id, 'the bot still holds it at the portal');
    p.emu.clearFaults();
    await p.runJob('sync', p.app.ctx.clock() + UNREADABLE_FIRST_PAUSE_MS + 1);
    assert.equal(ownerOf(p, chat), 2, 'read back, sent again, done');
    assert.equal((await p.row(chat))!.unreadableSince, null);
  });
});
