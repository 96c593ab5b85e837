import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { waitFor } from '../helpers/context.ts';
import { closeAll, olPortal, ownerOf } from './openlines-helpers.ts';

afterEach(closeAll);

describe('open lines: install', () => {
  test('one bot per portal, attached to every line; a second install registers no second bot', async () => {
    const p = await olPortal();
    const bots = [...p.emu.state.bots.values()];
    assert.equal(bots.length, 1);
    const botId = bots[0].id;
    for (const line of p.emu.state.lines.values()) {
      assert.equal(line.config.WELCOME_BOT_ENABLE, 'Y');
      assert.equal(Number(line.config.WELCOME_BOT_ID), botId);
      assert.equal(line.config.WELCOME_BOT_JOIN, 'always');
      assert.equal(line.config.WELCOME_BOT_LEFT, 'queue');
      assert.equal(Number(line.config.WELCOME_BOT_TIME), p.app.ctx.manifest.openline.WELCOME_BOT_TIME);
    }
    assert.equal(bots[0].webhookUrl || bots[0].handlers.welcome, `${p.app.url}/events`);

    p.emu.resetCalls();
    const page = await p.emu.install({ appBaseUrl: p.app.url });
    assert.equal(page.status, 200);
    p.emu.finishInstall();
    await waitFor(() => p.emu.calls.some((c) => c.method === 'imbot.v2.bot.list'), 'second setup ran');
    await p.settle();
    assert.equal(p.emu.state.bots.size, 1, 'still one bot');
    assert.ok(!p.emu.calls.some((c) => /register/i.test(c.method)), 'nothing registered again');
    assert.ok(
      !p.emu.calls.some((c) => c.method === 'imopenlines.config.update'),
      'attached lines left alone',
    );
  });

  test('a line created later is found by sync and gets the bot', async () => {
    const p = await olPortal();
    const lineId = p.emu.sim.addLine({ name: 'New line', queue: [6] });
    assert.notEqual(p.emu.state.lines.get(lineId)!.config.WELCOME_BOT_ENABLE, 'Y');
    await p.runJob('sync');
    assert.equal(p.emu.state.lines.get(lineId)!.config.WELCOME_BOT_ENABLE, 'Y');
    const chatId = await p.newDialog(lineId);
    await p.settle();
    assert.equal(ownerOf(p, chatId), 6);
  });
});

describe('open lines: a new dialog', () => {
  test('is recorded, decided by the line queue, transferred once with LEAVE=Y, and logged with its latency', async () => {
    const p = await olPortal();
    const chatId = await p.newDialog();
    await p.settle();
    const owner = ownerOf(p, chatId);
    assert.ok([2, 3, 4].includes(owner), `assigned to a queue member, got ${owner}`);
    const transfers = p.transfers();
    assert.equal(transfers.length, 1);
    assert.equal(transfers[0].method, 'imopenlines.bot.session.transfer');
    const call = p.emu.calls.find((c) => c.method === 'imopenlines.bot.session.transfer')!;
    assert.equal((call.params as any).LEAVE, 'Y');
    const row = (await p.row(chatId))!;
    assert.equal(row.state, 'assigned');
    assert.equal(row.operatorId, owner);
    assert.match(row.userCode, /\|1\|/);
    const log = await p.log(chatId);
    assert.equal(log.length, 1);
    assert.equal(log[0].action, 'assign');
    assert.equal(log[0].operatorId, owner);
    assert.equal(log[0].reason.rule, 'evenly');
    assert.ok(typeof log[0].latencyMs === 'number' && log[0].latencyMs >= 0);
  });

  test("the client's next session in the same chat closes the previous one in the register", async () => {
    const p = await olPortal();
    const r1 = p.emu.sim.clientWrites({ lineId: 1, clientKey: 'returning', text: 'Hi' });
    await p.settle();
    const first = (await p.row(r1.chatId))!;
    assert.equal(first.state, 'assigned');
    p.emu.sim.closeDialog(r1.chatId);
    // No sync in between: the register learns of the close from the new session itself.
    const r2 = p.emu.sim.clientWrites({ lineId: 1, clientKey: 'returning', text: 'Me again' });
    assert.equal(r2.chatId, r1.chatId);
    assert.notEqual(r2.sessionId, r1.sessionId);
    await p.settle();
    assert.equal((await p.dialogs.get(first.id))!.state, 'closed');
    const second = (await p.dialogs.findBySession(p.memberId, r2.chatId, r2.sessionId))!;
    assert.equal(second.state, 'assigned');
    assert.equal((await p.dialogs.openByChat(p.memberId, r2.chatId)).length, 1);
    const load = [...(await p.dialogs.loads(p.memberId, 1)).values()].reduce((n, l) => n + l.notAnswered, 0);
    assert.equal(load, 1, 'only the open session counts');
  });
});
