import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { PortalSeed } from 'b24-emulator';
import { lineSettingsSchema, operatorsSettingsSchema } from '../../src/settings/schema.ts';
import { closeAll, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

function seedWith(
  line: Record<string, unknown>,
  queue: PortalSeed['lines'] extends (infer L)[] | undefined
    ? L extends { queue: infer Q }
      ? Q
      : never
    : never = [2, 3, 4],
  extra: Partial<PortalSeed> = {},
): PortalSeed {
  return { ...SEED, ...extra, lines: [{ id: 1, name: 'Sales chat', queue, config: line }] };
}

describe('open lines: the line queue rules, end to end', () => {
  test('evenly: the one longest without a dialog gets the next; six dialogs → two each', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'evenly' }) });
    const chats: number[] = [];
    for (let i = 0; i < 6; i++) {
      chats.push(await p.newDialog());
      await p.settle();
    }
    const owners = chats.map((c) => ownerOf(p, c));
    assert.deepEqual(owners.slice(0, 3).sort(), [2, 3, 4]);
    assert.deepEqual(owners.slice(3), owners.slice(0, 3), 'the rotation repeats in the same order');
    assert.equal(p.transfers().length, 6, 'one transfer per dialog');
  });

  test('strictly: always the first available in queue order; the unavailable first is skipped', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly' }, [3, 2, 4]) });
    const a = await p.newDialog();
    const b = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, a), 3);
    assert.equal(ownerOf(p, b), 3);
    p.emu.sim.setUser(3, { online: false });
    await p.runJob('sync');
    const c = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, c), 2);
    const log = await p.log(c);
    assert.equal(log[0].reason.rule, 'strictly');
    assert.deepEqual(log[0].reason.skipped.unavailable, [{ id: 3, why: 'offline' }]);
  });

  test("all at once: the dialog goes to the line's own queue with imopenlines.bot.session.operator", async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'all' }) });
    const chatId = await p.newDialog();
    await p.settle();
    const t = p.transfers();
    assert.deepEqual(
      t.map((x) => x.method),
      ['imopenlines.bot.session.operator'],
    );
    const row = (await p.row(chatId))!;
    assert.equal(row.state, 'portal');
    const log = await p.log(chatId);
    assert.equal(log[0].action, 'portal_queue');
    const session = p.emu.state.sessions.get(row.sessionId)!;
    assert.deepEqual(session.offeredTo.sort(), [2, 3, 4], 'offered by the portal to everyone available');
  });

  test('availability (CHECK_AVAILABLE=Y): offline, on a break, absent, closed workday and dismissed are skipped', async () => {
    const seed = seedWith({ QUEUE_TYPE: 'strictly' }, [2, 3, 4, 5, 6]);
    const p = await olPortal({ seed });
    p.emu.sim.setUser(2, { online: false });
    p.emu.sim.setUser(3, { timeman: 'PAUSED' });
    p.emu.sim.setUser(4, { absentUntil: '2099-12-31T00:00:00+03:00' });
    p.emu.sim.setUser(5, { timeman: 'CLOSED' });
    await p.runJob('sync');
    const chatId = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, chatId), 6);
    const why = Object.fromEntries(
      (await p.log(chatId))[0].reason.skipped.unavailable.map((u: any) => [u.id, u.why]),
    );
    assert.deepEqual(why, { 2: 'offline', 3: 'paused', 4: 'absent', 5: 'workday_closed' });
  });

  test('CHECK_AVAILABLE=N: only dismissal keeps an operator from getting dialogs', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly', CHECK_AVAILABLE: 'N' }, [2, 3]) });
    p.emu.sim.setUser(2, { online: false, timeman: 'CLOSED' });
    await p.runJob('sync');
    const a = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, a), 2, 'offline, but the line does not check');
    p.emu.sim.setUser(2, { active: false });
    await p.runJob('sync');
    const b = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, b), 3);
  });

  test('MAX_CHAT: at the limit nobody gets more; the dialog waits and goes out when one closes', async () => {
    const p = await olPortal({
      seed: seedWith({ QUEUE_TYPE: 'evenly', MAX_CHAT: '1', TYPE_MAX_CHAT: 'closed' }, [2, 3]),
    });
    const a = await p.newDialog();
    const b = await p.newDialog();
    await p.settle();
    assert.deepEqual([ownerOf(p, a), ownerOf(p, b)].sort(), [2, 3]);
    const c = await p.newDialog();
    await p.settle();
    const waiting = (await p.row(c))!;
    assert.equal(waiting.state, 'waiting');
    const bot = [...p.emu.state.bots.values()][0].id;
    assert.equal(ownerOf(p, c), bot, 'the bot keeps the client meanwhile');
    const wait = await p.log(c);
    assert.equal(wait[0].action, 'wait');
    assert.deepEqual(wait[0].reason.skipped.at_capacity.sort(), [2, 3]);

    const freed = ownerOf(p, a);
    p.emu.sim.closeDialog(a);
    await p.runJob('sync');
    assert.equal(ownerOf(p, c), freed, 'the waiting dialog went to the operator who freed up');
    assert.equal((await p.row(a))!.state, 'closed');
    const log = await p.log(c);
    assert.equal(log.at(-1)!.action, 'assign');
    assert.ok(log.at(-1)!.latencyMs! >= 0);
  });

  // imopenlines/openlines/imopenlines-config-add.md, TYPE_MAX_CHAT: `answered_new` — "consider
  // dialogues with a response and new dialogues".
  test('TYPE_MAX_CHAT=answered_new: answered and new dialogs both count, so an answer frees no place', async () => {
    const p = await olPortal({
      seed: seedWith({ QUEUE_TYPE: 'evenly', MAX_CHAT: '1', TYPE_MAX_CHAT: 'answered_new' }, [2]),
    });
    const a = await p.newDialog();
    const b = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, a), 2);
    assert.equal((await p.row(b))!.state, 'waiting');
    p.emu.sim.operatorWrites({ chatId: a, userId: 2, text: 'Hi!' });
    await p.runJob('sync');
    assert.equal((await p.row(a))!.answered, true);
    assert.equal((await p.row(b))!.state, 'waiting', 'the answered dialog still counts');
    p.emu.sim.closeDialog(a);
    await p.runJob('sync');
    assert.equal(ownerOf(p, b), 2, 'a close frees the place');
  });

  // ibid.: `answered` — "consider only dialogues where the operator has already responded".
  test('TYPE_MAX_CHAT=answered: new dialogs do not count; once answered, one does', async () => {
    const p = await olPortal({
      seed: seedWith({ QUEUE_TYPE: 'evenly', MAX_CHAT: '1', TYPE_MAX_CHAT: 'answered' }, [2]),
    });
    const a = await p.newDialog();
    const b = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, a), 2);
    assert.equal(ownerOf(p, b), 2, 'two unanswered dialogs: neither counts yet');
    p.emu.sim.operatorWrites({ chatId: a, userId: 2, text: 'Hi!' });
    await p.runJob('sync');
    assert.equal((await p.row(a))!.answered, true);
    const c = await p.newDialog();
    await p.settle();
    assert.equal((await p.row(c))!.state, 'waiting', 'the answered dialog fills the one place');
  });

  test('nobody available: the dialog waits; when someone comes online sync hands it over', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'evenly' }, [2]) });
    p.emu.sim.setUser(2, { online: false });
    await p.runJob('sync');
    const chatId = await p.newDialog();
    await p.settle();
    assert.equal((await p.row(chatId))!.state, 'waiting');
    p.emu.sim.setUser(2, { online: true });
    const s = await p.runJob('sync');
    assert.equal(s.totals.assigned, 1);
    assert.equal(ownerOf(p, chatId), 2);
  });

  test("app settings override the line: least loaded by the app, the line's members kept", async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly' }, [2, 3]) });
    await p.app.ctx.settings.write(
      p.memberId,
      'line:1',
      lineSettingsSchema,
      { useLineSettings: false, rules: { mode: 'least_loaded' } },
      null,
    );
    const owners: number[] = [];
    for (let i = 0; i < 4; i++) {
      const c = await p.newDialog();
      await p.settle();
      owners.push(ownerOf(p, c));
    }
    assert.deepEqual(
      owners.filter((o) => o === 2).length,
      2,
      `spread by load, not strictly to the first: ${owners}`,
    );
  });

  test("the app's manual pause keeps an operator out; unpausing drains at once", async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'evenly' }, [2]) });
    await p.app.ctx.settings.write(
      p.memberId,
      'operators',
      operatorsSettingsSchema,
      { '2': { paused: true } },
      null,
    );
    const chatId = await p.newDialog();
    await p.settle();
    assert.equal((await p.row(chatId))!.state, 'waiting');
    assert.equal((await p.log(chatId))[0].reason.skipped.unavailable[0].why, 'manual_pause');
    await p.app.ctx.settings.write(
      p.memberId,
      'operators',
      operatorsSettingsSchema,
      { '2': { paused: false } },
      null,
    );
    await p.settle();
    assert.equal(ownerOf(p, chatId), 2, 'no sync needed');
  });

  test('department entries in the queue expand to their users', async () => {
    const p = await olPortal({
      seed: seedWith({ QUEUE_TYPE: 'strictly' }, [{ type: 'department', id: 3 }, 2]),
    });
    const line = (await p.svc.d.lines.get(p.memberId, 1))!;
    assert.deepEqual(line.queue, [6, 2]);
    const c = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, c), 6);
  });

  test('CRM_FORWARD: a known client goes to their responsible; an unavailable responsible is passed over', async () => {
    const seed = seedWith({ QUEUE_TYPE: 'strictly', CRM: 'Y', CRM_FORWARD: 'Y' }, [2, 3], {
      contacts: [
        { id: 1, name: 'Known', assignedById: 5, phone: '+7 900 000-00-01' },
        { id: 2, name: 'Other', assignedById: 4, phone: '+7 900 000-00-02' },
      ],
    });
    const p = await olPortal({ seed });
    const a = await p.newDialog(1, 'k1', { phone: '+79000000001' });
    await p.settle();
    assert.equal(ownerOf(p, a), 5, 'the responsible, though not in the queue');
    assert.equal((await p.log(a))[0].reason.rule, 'responsible_manager');

    p.emu.sim.setUser(4, { online: false });
    await p.runJob('sync');
    const b = await p.newDialog(1, 'k2', { phone: '+79000000002' });
    await p.settle();
    assert.equal(ownerOf(p, b), 2);
    const reason = (await p.log(b))[0].reason;
    assert.equal(reason.responsible.operatorId, 4);
    assert.equal(reason.responsible.passedOver, 'offline');

    const c = await p.newDialog(1, 'new-client', { phone: '+79000000099' });
    await p.settle();
    assert.equal(
      (await p.log(c))[0].reason.rule,
      'strictly',
      'a lead the line just created has no responsible to route to',
    );
  });

  test('the welcome-bot timeout is the safety net: sync records what the portal did', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'evenly' }, [2]) });
    p.emu.sim.setUser(2, { online: false });
    await p.runJob('sync');
    const chatId = await p.newDialog();
    await p.settle();
    assert.equal((await p.row(chatId))!.state, 'waiting');
    // The portal gives up on the bot and distributes natively (here to nobody available → unowned).
    p.emu.sim.setUser(2, { online: true });
    const line = p.emu.state.lines.get(1)!;
    line.config.WELCOME_BOT_TIME = '1';
    p.emu.state.sessions.get((await p.row(chatId))!.sessionId)!.botJoinedAt = 0;
    p.emu.sim.runTimers();
    assert.equal(ownerOf(p, chatId), 2, 'the native queue took it');
    line.config.WELCOME_BOT_TIME = String(p.app.ctx.manifest.openline.WELCOME_BOT_TIME);
    await p.runJob('sync');
    const row = (await p.row(chatId))!;
    assert.equal(row.state, 'portal');
    assert.equal(row.operatorId, 2);
    assert.equal((await p.log(chatId)).at(-1)!.reason.detail, 'taken_by_portal');
    assert.equal(p.transfers().length, 0, 'the app never transferred it');
  });
});
