import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { formEncode, waitFor } from '../helpers/context.ts';
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

describe('docs: the transfer errors by their documented meaning (imopenlines/openlines/chat-bots/)', () => {
  test('OPERATOR_WRONG ("transfer to the specified operator … is not available") leaves that operator out, across rebuilds and syncs', async () => {
    const p = await olPortal({
      seed: {
        ...SEED,
        lines: [{ id: 1, name: 'Sales chat', queue: [2, 3], config: { QUEUE_TYPE: 'strictly' } }],
      },
    });
    p.emu.sim.setUser(2, { acceptsTransfers: false });
    const a = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, a), 3, 'refused by the portal, so the next in order');
    const toTwo = () => p.transfers(true).filter((t) => Number(t.target) === 2);
    assert.equal(toTwo().length, 1);
    assert.equal(toTwo()[0].error, 'OPERATOR_WRONG');

    // The next sync rebuilds every index; the portal's answer still stands for a while.
    await p.runJob('sync');
    const b = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, b), 3);
    assert.equal(toTwo().length, 1, 'operator 2 is not asked again right after the refusal');
    const stored = await p.app.ctx.db.all<any>('SELECT operator_id, error FROM operator_refusals');
    assert.deepEqual(
      stored,
      [{ operator_id: 2, error: 'OPERATOR_WRONG' }],
      'in the store, for every process',
    );

    // After the refusal's time, operator 2 is tried again (and now takes it).
    p.emu.sim.setUser(2, { acceptsTransfers: true });
    await p.app.ctx.db.run('UPDATE operator_refusals SET until = ?', [p.app.ctx.clock() - 1]);
    p.svc.d.indexes.invalidate(p.memberId);
    const c = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, c), 2);
  });

  test('OPERATOR_WRONG for a CRM responsible outside the queue leaves them out too', async () => {
    const p = await olPortal({
      seed: {
        ...SEED,
        contacts: [{ id: 1, name: 'Known', assignedById: 5, phone: '+7 900 000-00-01' }],
        lines: [
          {
            id: 1,
            name: 'Sales chat',
            queue: [2, 3],
            config: { QUEUE_TYPE: 'strictly', CRM: 'Y', CRM_FORWARD: 'Y' },
          },
        ],
      },
    });
    p.emu.sim.setUser(5, { acceptsTransfers: false });
    const a = await p.newDialog(1, 'k1', { phone: '+79000000001' });
    await p.settle();
    assert.equal(ownerOf(p, a), 2, 'the responsible refused by the portal: the queue');
    await p.runJob('sync');
    const b = await p.newDialog(1, 'k2', { phone: '+79000000001' });
    await p.settle();
    assert.equal(ownerOf(p, b), 2);
    const toFive = p.transfers(true).filter((t) => Number(t.target) === 5);
    assert.equal(toFive.length, 1, 'the refused responsible is not asked again after the sync');
  });

  test('WRONG_CHAT from bot.session.operator ("already being handled by an operator") follows that operator', async () => {
    // The join reaches the app late; meanwhile an operator takes the dialog at the portal.
    const p = await olPortal({
      seed: { ...SEED, lines: [{ id: 1, name: 'Sales chat', queue: [2, 3], config: { QUEUE_TYPE: 'all' } }] },
      emulator: { eventDelayMs: 200 },
    });
    const r = p.emu.sim.clientWrites({ lineId: 1, clientKey: 'race', text: 'Hi' });
    p.emu.sim.operatorAccepts(r.chatId, 3);
    await waitFor(async () => (await p.row(r.chatId))?.state === 'portal', 'the register follows the portal');
    await p.settle();
    const refused = p.transfers(true).filter((t) => t.chatId === r.chatId);
    assert.deepEqual(
      refused.map((t) => [t.method, t.error]),
      [['imopenlines.bot.session.operator', 'WRONG_CHAT']],
    );
    const row = (await p.row(r.chatId))!;
    assert.equal(row.holder, 'operator');
    assert.equal(row.operatorId, 3, 'counted as the operator’s, not closed or sent again');
    assert.equal(p.emu.state.chats.get(r.chatId)!.ownerId, 3);
  });
});

describe('docs: the v1 join event (chat-bots/outdated/chats/events/on-imbot-join-chat.md)', () => {
  test('CHAT_ENTITY_DATA_2 is not a documented field: without it the CRM bindings are read from imopenlines.dialog.get', async () => {
    let dropV2Joins = false;
    // The portal's own (v2) join of this chat is lost, so the app learns of it from the v1 event alone.
    const deliver: typeof fetch = async (input, init) =>
      dropV2Joins && String(init?.body ?? '').includes('ONIMBOTV2JOINCHAT')
        ? Promise.reject(new Error('connect ECONNREFUSED'))
        : fetch(input, init);
    const p = await olPortal({
      seed: {
        ...SEED,
        contacts: [{ id: 1, name: 'Known', assignedById: 5, phone: '+7 900 000-00-01' }],
        lines: [
          {
            id: 1,
            name: 'Sales chat',
            queue: [2, 3],
            config: { QUEUE_TYPE: 'strictly', CRM: 'Y', CRM_FORWARD: 'Y' },
          },
        ],
      },
      emulator: { fetch: deliver },
    });
    dropV2Joins = true;
    const w = p.emu.sim.clientWrites({ lineId: 1, clientKey: 'known', text: 'Hi', phone: '+79000000001' });
    await p.emu.idle();
    const chat = p.emu.state.chats.get(w.chatId)!;
    assert.ok(chat.crm.CONTACT > 0, 'the portal bound the chat to the known contact');
    const bot = [...p.emu.state.bots.values()][0];
    p.emu.resetCalls();
    // As a v1 portal sends it: the session in CHAT_ENTITY_DATA_1, no CHAT_ENTITY_DATA_2.
    const res = await fetch(`${p.app.url}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: formEncode({
        event: 'ONIMBOTJOINCHAT',
        ts: String(Math.floor(Date.now() / 1000)),
        data: {
          BOT: { [bot.id]: { BOT_ID: bot.id, BOT_CODE: bot.code } },
          PARAMS: {
            CHAT_TYPE: 'L',
            MESSAGE_TYPE: 'L',
            BOT_ID: bot.id,
            CHAT_ID: w.chatId,
            CHAT_ENTITY_TYPE: 'LINES',
            CHAT_ENTITY_ID: chat.userCode,
            CHAT_ENTITY_DATA_1: `N|NONE|0|N|N|${w.sessionId}|${Math.floor(Date.now() / 1000)}|0|0|0`,
            DIALOG_ID: `chat${w.chatId}`,
          },
        },
        auth: {
          member_id: p.memberId,
          domain: p.emu.domain,
          application_token: p.emu.state.app.applicationToken,
        },
      }),
    });
    assert.equal(res.status, 200);
    await p.settle();
    assert.ok(
      p.emu.calls.some(
        (c) => c.method === 'imopenlines.dialog.get' && Number((c.params as any).CHAT_ID) === w.chatId,
      ),
      'the bindings were read where the docs describe them',
    );
    assert.equal(ownerOf(p, w.chatId), 5, 'the known client went to their responsible manager');
    assert.equal((await p.log(w.chatId))[0].reason.rule, 'responsible_manager');
  });
});
