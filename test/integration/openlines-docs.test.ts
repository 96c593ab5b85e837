import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { waitFor } from '../helpers/context.ts';
import { closeAll, olPortal, ownerOf } from './openlines-helpers.ts';

/*
 * Readings of the official REST docs (bitrix24/b24restdocs, paths under api-reference/) that
 * decide whether the app works on a real portal (issue 22).
 */

afterEach(closeAll);

describe('docs: the open-line bot (chat-bots/chat-bots-v2/imbot.v2/bots/)', () => {
  test('is registered with isSupportOpenline (default false, bot-register.md) and colour "aqua", so line chats reach it', async () => {
    const p = await olPortal();
    const bots = [...p.emu.state.bots.values()];
    assert.equal(bots.length, 1);
    assert.equal(bots[0].version, 2);
    assert.equal(bots[0].openline, true);
    // chats/chat-add.md#available-colors: lower camel case; "AQUA" would be ignored.
    assert.equal(bots[0].color, 'aqua');
    const chatId = await p.newDialog();
    await p.settle();
    assert.ok([2, 3, 4].includes(ownerOf(p, chatId)));
  });

  test('a bot installed without open-channel support is updated (Bot.update) at the next setup, found with Bot.list', async () => {
    const p = await olPortal();
    const bot = [...p.emu.state.bots.values()][0];
    // As an earlier version of the app left it: registered without isSupportOpenline.
    bot.openline = false;
    const r = p.emu.sim.clientWrites({ lineId: 1, clientKey: 'before', text: 'Hi' });
    await p.settle();
    assert.equal(await p.dialogs.findBySession(p.memberId, r.chatId, r.sessionId), undefined, 'no join');

    p.emu.resetCalls();
    const page = await p.emu.install({ appBaseUrl: p.app.url });
    assert.equal(page.status, 200);
    p.emu.finishInstall();
    await waitFor(() => bot.openline, 'bot updated');
    await p.settle();
    const update = p.emu.calls.find((c) => c.method === 'imbot.v2.bot.update')!;
    assert.equal((update.params as any).botId, bot.id);
    assert.ok(p.emu.calls.some((c) => c.method === 'imbot.v2.bot.list'));
    assert.ok(!p.emu.calls.some((c) => c.method === 'imbot.bot.list'), 'the deprecated v1 list is not asked');
    assert.ok(!p.emu.calls.some((c) => /register/i.test(c.method)), 'no second bot');
    assert.equal(p.emu.state.bots.size, 1);
    const chatId = await p.newDialog();
    await p.settle();
    assert.ok([2, 3, 4].includes(ownerOf(p, chatId)));
  });
});
