import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { waitFor } from '../helpers/context.ts';
import { closeAll, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

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

describe("docs: where a line queue's department entries are (imopenlines/openlines/)", () => {
  test('they are read from config.list.get with OPTIONS.CONFIG_QUEUE=Y (config.get does not return them) and expanded to the members', async () => {
    const p = await olPortal({
      seed: {
        ...SEED,
        lines: [
          {
            id: 1,
            name: 'Sales chat',
            queue: [{ type: 'department', id: 3 }, 2],
            config: { QUEUE_TYPE: 'strictly' },
          },
        ],
      },
    });
    const listed = p.emu.calls.filter((c) => c.method === 'imopenlines.config.list.get' && !c.error);
    assert.ok(listed.length > 0);
    // imopenlines-config-list-get.md: CONFIG_QUEUE "is returned when OPTIONS.CONFIG_QUEUE = Y".
    assert.ok(
      listed.every((c) => (c.params as any).OPTIONS?.CONFIG_QUEUE === 'Y'),
      'every line list asks for the configured entries',
    );
    // The department entry itself was seen: its members were read (user.get by UF_DEPARTMENT).
    const deptReads = p.emu.calls.filter(
      (c) =>
        c.method === 'user.get' &&
        JSON.stringify((c.params as any).FILTER?.UF_DEPARTMENT ?? []).includes('3'),
    );
    assert.ok(deptReads.length > 0, 'department 3 was expanded by the app');
    assert.deepEqual((await p.svc.d.lines.get(p.memberId, 1))!.queue, [6, 2]);

    // A line read on its own (never seen before, or refreshed) gets its entries in the same request.
    p.emu.resetCalls();
    const client = await p.app.ctx.clients.get(p.memberId);
    const [line] = await p.svc.d.lines.refresh(p.memberId, client, [1]);
    assert.deepEqual(line.queue, [6, 2]);
    const inBatch = p.emu.calls.filter((c) => c.viaBatch);
    assert.ok(inBatch.some((c) => c.method === 'imopenlines.config.get'));
    const list = inBatch.find((c) => c.method === 'imopenlines.config.list.get')!;
    assert.equal((list.params as any).OPTIONS.CONFIG_QUEUE, 'Y');
    assert.equal(p.emu.calls.filter((c) => c.method === 'batch').length, 1, 'one request for both');

    const c = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, c), 6, 'the department member first, as configured');
  });
});
