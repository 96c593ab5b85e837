import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type Harness, manualClock, startHarness } from './helpers.ts';

async function attachV1Bot(h: Harness, lineId: number, extra: Record<string, unknown> = {}): Promise<number> {
  const reg = await h.call('imbot.register', {
    CODE: 'dispatcher',
    TYPE: 'O',
    EVENT_HANDLER: `${h.app.url}/bot`,
    PROPERTIES: { NAME: 'Dispatcher' },
  });
  assert.equal(reg.status, 200);
  const botId = reg.body.result;
  const upd = await h.call('imopenlines.config.update', {
    CONFIG_ID: lineId,
    PARAMS: {
      WELCOME_BOT_ENABLE: 'Y',
      WELCOME_BOT_ID: botId,
      WELCOME_BOT_JOIN: 'always',
      WELCOME_BOT_LEFT: 'queue',
      ...extra,
    },
  });
  assert.equal(upd.body.result, true);
  return botId;
}

const botEvents = (h: Harness, event: string) =>
  h.app.received.filter((r) => r.path === '/bot' && r.body.event === event);

describe('emulator open lines', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('v1 bot: join event, message events, transfer with the bot token, then the bot is gone', async () => {
    h = await startHarness();
    const botId = await attachV1Bot(h, 2);
    const first = h.emu.sim.clientWrites({ lineId: 2, clientKey: 'tg-1', text: 'Hello' });
    assert.equal(first.isNewSession, true);
    await h.emu.idle();
    const [join] = botEvents(h, 'ONIMBOTJOINCHAT');
    assert.ok(join);
    const p = join.body.data.PARAMS;
    assert.equal(p.CHAT_ENTITY_TYPE, 'LINES');
    assert.equal(p.CHAT_TYPE, 'L');
    assert.equal(p.CHAT_ID, String(first.chatId));
    assert.equal(p.DIALOG_ID, `chat${first.chatId}`);
    assert.equal(p.BOT_ID, String(botId));
    assert.match(p.CHAT_ENTITY_ID, /^livechat\|2\|\d+\|\d+$/);
    const botAuth = join.body.data.BOT[String(botId)];
    assert.equal(botAuth.BOT_CODE, 'dispatcher');
    assert.equal(botAuth.AUTH.access_token, botAuth.access_token);
    assert.equal(join.body.auth.access_token, undefined, 'a client caused it: no staff tokens');
    assert.equal(botEvents(h, 'ONIMBOTMESSAGEADD').length, 0);

    const second = h.emu.sim.clientWrites({ lineId: 2, clientKey: 'tg-1', text: 'Anyone?' });
    assert.equal(second.isNewSession, false);
    assert.equal(second.sessionId, first.sessionId);
    await h.emu.idle();
    const [msg] = botEvents(h, 'ONIMBOTMESSAGEADD');
    assert.equal(msg.body.data.PARAMS.MESSAGE, 'Anyone?');
    assert.equal(msg.body.data.PARAMS.CHAT_ENTITY_DATA_1.split('|')[5], String(first.sessionId));
    assert.equal(msg.body.data.USER.IS_CONNECTOR, 'Y');

    const transfer = await h.call(
      'imopenlines.bot.session.transfer',
      { CHAT_ID: first.chatId, USER_ID: 7, LEAVE: 'Y' },
      msg.body.data.BOT[String(botId)].access_token,
    );
    assert.deepEqual(transfer.body.result, true);
    const dialog = await h.call('imopenlines.dialog.get', { CHAT_ID: first.chatId });
    assert.equal(dialog.body.result.owner, 7);
    assert.deepEqual(dialog.body.result.manager_list, [7]);
    assert.equal(dialog.body.result.entity_data_1.split('|')[5], String(first.sessionId));
    assert.equal(dialog.body.result.entity_id, p.CHAT_ENTITY_ID);

    h.emu.sim.clientWrites({ lineId: 2, clientKey: 'tg-1', text: 'third' });
    await h.emu.idle();
    assert.equal(botEvents(h, 'ONIMBOTMESSAGEADD').length, 1, 'the bot left the chat');
    const again = await h.call('imopenlines.bot.session.transfer', { CHAT_ID: first.chatId, USER_ID: 6 });
    assert.equal(again.body.error, 'OPERATOR_WRONG');
  });

  it('session history shows senders with the connector flag', async () => {
    h = await startHarness();
    const w = h.emu.sim.clientWrites({ lineId: 2, clientKey: 'c', text: 'hi' });
    h.emu.sim.operatorWrites({ chatId: w.chatId, userId: 6, text: 'hello, how can I help?' });
    const hist = await h.call('imopenlines.session.history.get', { CHAT_ID: w.chatId });
    const r = hist.body.result;
    assert.equal(r.sessionId, w.sessionId);
    const messages = Object.values(r.message) as any[];
    const senders = messages.map((m) => m.senderid);
    const clientId = senders[0];
    assert.equal(r.users[clientId].connector, true);
    assert.equal(r.users['6'].connector, false);
    assert.ok(senders.includes('6'));
    assert.equal(r.chat[String(w.chatId)].entityType, 'LINES');
    const missing = await h.call('imopenlines.session.history.get', {});
    assert.equal(missing.body.error, 'MISSING_REQUIRED_PARAM');
  });

  it('v2 bot: idempotent register and a form-encoded ONIMBOTV2JOINCHAT with string scalars', async () => {
    h = await startHarness();
    const fields = {
      code: 'v2disp',
      type: 'openline',
      eventMode: 'webhook',
      webhookUrl: `${h.app.url}/bot2`,
      isSupportOpenline: true,
      properties: { name: 'D2' },
    };
    const reg = await h.call('imbot.v2.Bot.register', { fields });
    assert.equal(reg.status, 200);
    const botId = reg.body.result.bot.id;
    assert.equal((await h.call('imbot.v2.Bot.register', { fields })).body.result.bot.id, botId);
    await h.call('imopenlines.config.update', {
      CONFIG_ID: 1,
      PARAMS: { WELCOME_BOT_ENABLE: 'Y', WELCOME_BOT_ID: botId },
    });
    const w = h.emu.sim.clientWrites({ lineId: 1, clientKey: 'web-9', text: 'price?' });
    await h.emu.idle();
    const join = h.app.received.find((r) => r.path === '/bot2');
    assert.ok(join);
    assert.match(join.raw, /^event=ONIMBOTV2JOINCHAT&data%5Bbot%5D%5Bid%5D=/);
    const d = join.body.data;
    assert.equal(join.body.event, 'ONIMBOTV2JOINCHAT');
    assert.equal(d.bot.id, String(botId));
    assert.equal(typeof d.bot.auth.access_token, 'string');
    assert.equal(d.chat.entityType, 'LINES');
    assert.equal(d.chat.id, String(w.chatId));
    assert.equal(d.chat.extranet, '0');
    assert.equal(d.user.connector, '1');
    assert.equal(join.body.auth.application_token, h.emu.state.app.applicationToken);
    h.emu.sim.clientWrites({ lineId: 1, clientKey: 'web-9', text: 'hello?' });
    await h.emu.idle();
    const msg = h.app.received.filter((r) => r.path === '/bot2')[1];
    assert.equal(msg.body.event, 'ONIMBOTV2MESSAGEADD');
    assert.equal(msg.body.data.message.text, 'hello?');
    assert.equal(msg.body.data.message.chatId, String(w.chatId));
  });

  it('v2 bot without isSupportOpenline (default false, bots/bot-register.md) gets no line joins until Bot.update enables it', async () => {
    h = await startHarness();
    const reg = await h.call('imbot.v2.Bot.register', {
      fields: {
        code: 'noline',
        type: 'openline',
        eventMode: 'webhook',
        webhookUrl: `${h.app.url}/bot2`,
        properties: { name: 'D2', color: 'AQUA' },
      },
    });
    const bot = reg.body.result.bot;
    assert.equal(bot.isSupportOpenline, false);
    // "AQUA" is no v2 colour (chats/chat-add.md#available-colors): assigned automatically.
    assert.notEqual(h.emu.state.bots.get(bot.id)!.color, 'AQUA');
    await h.call('imopenlines.config.update', {
      CONFIG_ID: 1,
      PARAMS: { WELCOME_BOT_ENABLE: 'Y', WELCOME_BOT_ID: bot.id },
    });
    const w = h.emu.sim.clientWrites({ lineId: 1, clientKey: 'web-1', text: 'hi' });
    await h.emu.idle();
    assert.equal(h.app.received.filter((r) => r.path === '/bot2').length, 0, 'no join');
    assert.notEqual(h.emu.state.sessions.get(w.sessionId)!.status, 'bot', 'the line queue has it');

    const upd = await h.call('imbot.v2.Bot.update', {
      botId: bot.id,
      fields: { isSupportOpenline: true, properties: { color: 'aqua' } },
    });
    assert.equal(upd.body.result.bot.isSupportOpenline, true);
    assert.equal(h.emu.state.bots.get(bot.id)!.color, 'aqua');
    const list = await h.call('imbot.v2.Bot.list', {});
    assert.deepEqual(
      list.body.result.bots.map((b: any) => [b.code, b.isSupportOpenline]),
      [['noline', true]],
    );
    assert.equal(list.body.result.hasNextPage, false);
    h.emu.sim.clientWrites({ lineId: 1, clientKey: 'web-2', text: 'hi' });
    await h.emu.idle();
    const joins = h.app.received.filter((r) => r.path === '/bot2' && r.body.event === 'ONIMBOTV2JOINCHAT');
    assert.equal(joins.length, 1);
  });

  it('falls back to the native queue after WELCOME_BOT_TIME and passes on after QUEUE_TIME (strictly)', async () => {
    const clock = manualClock();
    h = await startHarness({ clock: clock.now });
    await attachV1Bot(h, 2, { WELCOME_BOT_TIME: 60 });
    const w = h.emu.sim.clientWrites({ lineId: 2, clientKey: 'x', text: 'help' });
    const session = h.emu.state.sessions.get(w.sessionId)!;
    clock.advance(59_000);
    h.emu.sim.runTimers();
    assert.equal(session.status, 'bot');
    clock.advance(2_000);
    h.emu.sim.runTimers();
    assert.equal(session.status, 'assigned');
    assert.equal(session.operatorId, 6);
    clock.advance(121_000); // line 2 QUEUE_TIME is 120 s
    h.emu.sim.runTimers();
    assert.equal(session.operatorId, 7);
    clock.advance(121_000); // 8 is absent, 9 dismissed: back to 6
    h.emu.sim.runTimers();
    assert.equal(session.operatorId, 6);
    h.emu.sim.operatorAccepts(w.chatId, 6);
    clock.advance(500_000);
    h.emu.sim.runTimers();
    assert.equal(session.operatorId, 6);
    assert.equal(session.status, 'answered');
  });

  it('evenly: the least recently assigned available operator of the department queue', async () => {
    const clock = manualClock();
    h = await startHarness({ clock: clock.now });
    await h.call('imopenlines.config.update', { CONFIG_ID: 1, PARAMS: { CRM: 'N' } });
    const owners: number[] = [];
    for (const key of ['a', 'b', 'c']) {
      const w = h.emu.sim.clientWrites({ lineId: 1, clientKey: key, text: 'hi' });
      owners.push(h.emu.state.sessions.get(w.sessionId)!.operatorId);
      clock.advance(1000);
    }
    // 4 is on a break, 5 is offline with a closed workday
    assert.deepEqual(owners, [2, 3, 2]);
  });

  it('CRM=Y: a known phone binds the dialog to the contact and CRM_FORWARD routes to its responsible', async () => {
    h = await startHarness();
    const known = h.emu.sim.clientWrites({
      lineId: 1,
      clientKey: 'p1',
      text: 'hi',
      phone: '8 (916) 555-01-01',
    });
    const s1 = h.emu.state.sessions.get(known.sessionId)!;
    assert.equal(s1.operatorId, 3);
    const dialog = await h.call('imopenlines.dialog.get', { DIALOG_ID: `chat${known.chatId}` });
    assert.equal(dialog.body.result.entity_data_2, 'LEAD|0|COMPANY|3001|CONTACT|2001|DEAL|0');
    assert.match(dialog.body.result.entity_data_1, /^Y\|CONTACT\|2001\|/);
    const chats = await h.call('imopenlines.crm.chat.get', { CRM_ENTITY_TYPE: 'contact', CRM_ENTITY: 2001 });
    assert.deepEqual(chats.body.result, [
      { CHAT_ID: String(known.chatId), CONNECTOR_ID: 'livechat', CONNECTOR_TITLE: 'Live Chat' },
    ]);

    const stranger = h.emu.sim.clientWrites({
      lineId: 1,
      clientKey: 'p2',
      text: 'hi',
      phone: '+7 000 111-22-33',
    });
    const chat = h.emu.state.chats.get(stranger.chatId)!;
    assert.ok(chat.crm.LEAD > 0);
    const lead = h.emu.state.crm.leads.get(chat.crm.LEAD)!;
    assert.equal(lead.sourceId, 'OPENLINE');
    // CRM_TRANSFER_CHANGE=Y: the new lead follows the operator the queue chose
    assert.equal(lead.assignedById, h.emu.state.sessions.get(stranger.sessionId)!.operatorId);
  });

  it('operator.transfer, operator.answer and operator.another.finish with their errors', async () => {
    h = await startHarness();
    const w = h.emu.sim.clientWrites({ lineId: 2, clientKey: 'z', text: 'hi' });
    const empty = await h.call('imopenlines.operator.transfer', { USER_ID: 7 });
    assert.equal(empty.body.error, 'CHAT_ID_EMPTY');
    const none = await h.call('imopenlines.operator.transfer', { CHAT_ID: w.chatId });
    assert.equal(none.body.error, 'TRANSFER_ID_EMPTY');
    const dismissed = await h.call('imopenlines.operator.transfer', { CHAT_ID: w.chatId, USER_ID: 9 });
    assert.equal(dismissed.body.error, 'OPERATOR_WRONG');
    const outsider = await h.call(
      'imopenlines.operator.transfer',
      { CHAT_ID: w.chatId, USER_ID: 7 },
      h.emu.issueUserToken(3),
    );
    assert.equal(outsider.body.error, 'ACCESS_DENIED');

    const ok = await h.call('imopenlines.operator.transfer', { CHAT_ID: w.chatId, TRANSFER_ID: '7' });
    assert.equal(ok.body.result, true);
    const chat = h.emu.state.chats.get(w.chatId)!;
    assert.equal(chat.ownerId, 7);
    assert.ok(!chat.memberIds.includes(6));
    const answer = await h.call(
      'imopenlines.operator.answer',
      { CHAT_ID: w.chatId },
      h.emu.issueUserToken(7),
    );
    assert.equal(answer.body.result, true);
    assert.equal(h.emu.state.sessions.get(w.sessionId)!.status, 'answered');

    const toQueue = await h.call('imopenlines.operator.transfer', {
      CHAT_ID: w.chatId,
      TRANSFER_ID: 'queue1',
    });
    assert.equal(toQueue.body.result, true);
    assert.equal(h.emu.state.sessions.get(w.sessionId)!.lineId, 1);

    const fin = await h.call('imopenlines.operator.another.finish', { CHAT_ID: w.chatId });
    assert.equal(fin.body.result, true);
    assert.equal(h.emu.state.sessions.get(w.sessionId)!.status, 'closed');
    assert.equal((await h.call('imopenlines.dialog.get', { CHAT_ID: w.chatId })).body.result.owner, 0);
    const next = h.emu.sim.clientWrites({ lineId: 2, clientKey: 'z', text: 'me again' });
    assert.equal(next.isNewSession, true);
    assert.notEqual(next.sessionId, w.sessionId);
  });

  it('bot.session.operator hands the dialog to the queue; WRONG_CHAT once a human holds it', async () => {
    h = await startHarness();
    await attachV1Bot(h, 2);
    const w = h.emu.sim.clientWrites({ lineId: 2, clientKey: 'q', text: 'hi' });
    const r = await h.call('imopenlines.bot.session.operator', { CHAT_ID: w.chatId });
    assert.equal(r.body.result, true);
    assert.equal(h.emu.state.sessions.get(w.sessionId)!.operatorId, 6);
    const again = await h.call('imopenlines.bot.session.operator', { CHAT_ID: w.chatId });
    assert.deepEqual(again.body, { error: 'WRONG_CHAT', error_description: 'Operator is not a bot' });
  });

  it('config.get WITH_QUEUE expands departments; config.list.get pages with OPTIONS', async () => {
    h = await startHarness();
    const got = await h.call('imopenlines.config.get', { CONFIG_ID: 1, WITH_QUEUE: 'Y' });
    const r = got.body.result;
    assert.equal(r.ID, '1');
    assert.equal(r.QUEUE_TYPE, 'evenly');
    assert.deepEqual(r.QUEUE, ['2', '3', '4', '5']);
    assert.equal(r.QUEUE_FULL['3'].DEPARTMENT_ID, '2');
    assert.equal(r.QUEUE_FULL['3'].SORT, '1');
    assert.equal(
      'CONFIG_QUEUE' in r,
      false,
      'config.get does not list CONFIG_QUEUE (imopenlines-config-get.md)',
    );
    assert.equal((await h.call('imopenlines.config.get', { CONFIG_ID: 77 })).body.result, false);
    assert.equal((await h.call('imopenlines.config.get', {})).body.error, 'CONFIG_ID_EMPTY');
    const list = await h.call('imopenlines.config.list.get', {
      PARAMS: { select: ['ID', 'LINE_NAME'], limit: 1, offset: 1 },
      OPTIONS: { QUEUE: 'Y', CONFIG_QUEUE: 'Y' },
    });
    assert.equal(list.body.result.length, 1);
    assert.equal(list.body.result[0].ID, '2');
    assert.deepEqual(list.body.result[0].QUEUE, [6, 7, 8, 9]);
    // The configured entries, departments as such, come from config.list.get with OPTIONS.CONFIG_QUEUE=Y.
    const entries = await h.call('imopenlines.config.list.get', {
      PARAMS: { select: ['ID'], filter: { ID: 1 } },
      OPTIONS: { CONFIG_QUEUE: 'Y' },
    });
    assert.deepEqual(entries.body.result, [
      { ID: '1', CONFIG_QUEUE: [{ ENTITY_ID: '2', ENTITY_TYPE: 'department' }] },
    ]);
    // imopenlines-config-list-get.md's error table: unknown PARAMS / OPTIONS fields, non-scalar options.
    const badOption = await h.call('imopenlines.config.list.get', { OPTIONS: { WITH_QUEUE: 'Y' } });
    assert.equal(badOption.status, 400);
    assert.deepEqual(badOption.body, {
      error: 'INVALID_FORMAT',
      error_description: 'Unsupported OPTIONS fields are passed: WITH_QUEUE',
    });
    const badParam = await h.call('imopenlines.config.list.get', { PARAMS: { start: 0 } });
    assert.equal(badParam.body.error_description, 'Unsupported PARAMS fields are passed: start');
    const nonScalar = await h.call('imopenlines.config.list.get', { OPTIONS: { CONFIG_QUEUE: ['Y'] } });
    assert.equal(
      nonScalar.body.error_description,
      "A wrong format for the OPTIONS field 'CONFIG_QUEUE' is passed",
    );
    const denied = await h.call(
      'imopenlines.config.update',
      { CONFIG_ID: 1, PARAMS: { MAX_CHAT: 3 } },
      h.emu.issueUserToken(3),
    );
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error, 'CONFIG_WRONG_USER_PERMISSION');
  });
});

describe('emulator users and availability', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('timeman.status, im.user.list.get absence and user.get ACTIVE follow sim.setUser', async () => {
    h = await startHarness();
    assert.equal((await h.call('timeman.status', { USER_ID: 4 })).body.result.STATUS, 'PAUSED');
    h.emu.sim.setUser(4, { timeman: 'OPENED' });
    assert.equal((await h.call('timeman.status', { USER_ID: 4 })).body.result.STATUS, 'OPENED');
    const unknown = await h.call('timeman.status', { USER_ID: 999 });
    assert.deepEqual(unknown.body, { error: '', error_description: 'User not found' });

    h.emu.sim.setUser(7, { absentUntil: '2099-01-31', online: false });
    const im = await h.call('im.user.list.get', { ID: [6, 7] });
    assert.equal(im.body.result['6'].absent, false);
    assert.match(im.body.result['7'].absent, /^2099-01-31T/);
    assert.equal(im.body.result['7'].status, 'offline');

    h.emu.sim.setUser(6, { active: false });
    const active = await h.call('user.get', { FILTER: { ACTIVE: true, UF_DEPARTMENT: 3 } });
    assert.deepEqual(
      active.body.result.map((u: any) => u.ID),
      ['7', '8'],
    );
    assert.equal((await h.call('user.admin', {}, h.emu.issueUserToken(3))).body.result, false);
  });
});
