import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { type CallRecord, type PortalClock, type PortalSeed, portalClock } from 'b24-emulator';
import { type ChatBreachRecord, ChatBreachRepository } from '../../src/db/repositories/chat-breaches.ts';
import { runnerFor } from '../../src/jobs/feature.ts';
import { lineSettingsSchema } from '../../src/settings/schema.ts';
import { waitFor } from '../helpers/context.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

/*
 * Issue 18 for chats: the line's first-message deadline, checked by the pass-on job against the
 * real app over HTTP on the emulator. Operators 2–4 in the line's queue (strictly), the
 * supervisor is 6. One clock for the portal and the app.
 */

afterEach(closeAll);

interface C extends OlPortal {
  clock: PortalClock;
  onCall?: (c: CallRecord) => void;
  /** one pass-on run at `at` (default: the clock's instant) */
  passOn(o?: { at?: number; dryRun?: boolean }): Promise<Record<string, any>>;
  /** a client named Olga Lebedeva writes; resolves with the chat once operator 2 holds it */
  newChat(name?: string): Promise<number>;
  /** the deadline the register holds for the chat's dialog */
  dueAt(chatId: number): Promise<number | null>;
}

const MONDAY_9 = '2030-05-06T09:00:00+03:00';

async function chatPortal(
  firstMessage: Record<string, unknown>,
  o: { start?: string; language?: 'en' | 'ru'; queue?: number[] } = {},
): Promise<C> {
  const clock = portalClock({ start: Date.parse(o.start ?? MONDAY_9), running: true });
  let c: C | null = null;
  const seed: PortalSeed = {
    ...SEED,
    lines: [
      {
        id: 1,
        name: 'Sales chat',
        queue: o.queue ?? [2, 3, 4],
        config: { QUEUE_TYPE: 'strictly', QUEUE_TIME: '60' },
      },
    ],
  };
  const p = await olPortal({
    seed,
    clock: clock.now,
    emulator: { clock: clock.now, language: o.language ?? 'en', onCall: (x) => c?.onCall?.(x) },
  });
  let seq = 0;
  c = {
    ...p,
    clock,
    async passOn(x = {}) {
      // The app's clock reaches the run's instant: moves it confirms start their clocks there.
      if (x.at !== undefined && x.at > clock.now()) clock.set(x.at);
      const r = await runnerFor(p.app.ctx).run('pass-on', {
        portal: p.memberId,
        now: x.at ?? clock.now(),
        dryRun: x.dryRun ?? false,
      });
      assert.equal(r.status, 'ok', JSON.stringify(r));
      await p.settle();
      return r.portals[p.memberId] as Record<string, any>;
    },
    async newChat(name = 'Olga Lebedeva') {
      const w = p.emu.sim.clientWrites({ lineId: 1, clientKey: `client-${++seq}`, text: 'Hello', name });
      await waitFor(
        async () => (await p.dialogs.findBySession(p.memberId, w.chatId, w.sessionId)) !== undefined,
        'dialog recorded',
      );
      await p.settle();
      await waitFor(async () => (await p.row(w.chatId))?.state === 'assigned', 'dialog assigned');
      return w.chatId;
    },
    async dueAt(chatId) {
      return (await p.row(chatId))!.passOnAt;
    },
  };
  await p.app.ctx.settings.write(
    p.memberId,
    'line:1',
    lineSettingsSchema,
    { firstMessage: { enabled: true, seconds: 60, supervisorId: 6, ...firstMessage } },
    null,
  );
  return c;
}

const seen = (p: C, userId: number) => p.emu.sim.notificationsFor(userId).map((n) => n.message);
const sends = (p: C) => p.emu.state.notifications.length;
const breachLog = async (p: C, chatId: number) => (await p.log(chatId)).filter((l) => l.action === 'breach');

describe('first message: the pass-on job checks chats', () => {
  test('unanswered past the deadline: passed on once, both told once; the same instant again changes nothing; the 2nd miss escalates', async () => {
    const p = await chatPortal({ onBreach: 'reassign' });
    const chatId = await p.newChat();
    assert.equal(ownerOf(p, chatId), 2);
    const due = (await p.dueAt(chatId))!;
    const before = await p.passOn({ at: due - 1000 });
    assert.equal(before.due ?? 0, 0, 'a second before the deadline: not due');
    assert.equal(before.firstMessage_breaches, undefined);

    const r = await p.passOn({ at: due });
    assert.equal(r.firstMessage_breaches, 1);
    assert.equal(r.firstMessage_reassigned, 1);
    assert.equal(r.passedOn, 1);
    assert.equal(ownerOf(p, chatId), 3, 'strictly: the next in the queue');
    assert.equal(sends(p), 2, 'the new holder and the previous one, once each');
    assert.match(
      seen(p, 3)[0],
      /^The chat with "Olga Lebedeva" \(line Sales chat\) is now yours: the client has waited 1 min( \d+ s)? with no answer within 1 min \(it was with Boris Ivanov\)/,
    );
    assert.match(
      seen(p, 2)[0],
      /^The chat with "Olga Lebedeva" went to Vera Petrova: no answer within 1 min/,
    );
    const [b1] = await breachLog(p, chatId);
    assert.match(
      b1.reason.text_en,
      /^First-answer deadline missed \(1st time\): Boris Ivanov did not answer "Olga Lebedeva" within 1 min.*passed on to Vera Petrova\.$/,
    );
    assert.match(
      b1.reason.text_ru,
      /Пропущен срок первого ответа в чате \(1-й раз\).*Чат передан дальше: Vera Petrova/,
    );
    assert.equal((await p.log(chatId)).filter((l) => l.action === 'pass_on').length, 1);

    const again = await p.passOn({ at: due });
    assert.equal(again.firstMessage_breaches, undefined, 'the same instant again: no breach');
    assert.equal(ownerOf(p, chatId), 3);
    assert.equal(sends(p), 2, 'nobody told twice');
    assert.equal((await breachLog(p, chatId)).length, 1);

    // Vera does not answer either: the 2nd miss goes on to Gleb, and the supervisor hears of it.
    const due2 = (await p.dueAt(chatId))!;
    assert.ok(due2 >= due + 60_000, 'the new holder has the full minute');
    const r2 = await p.passOn({ at: due2 });
    assert.equal(r2.firstMessage_breaches, 1);
    assert.equal(r2.firstMessage_escalated, 1);
    assert.equal(ownerOf(p, chatId), 4);
    assert.match(
      seen(p, 6)[0],
      /^Escalation: "Olga Lebedeva" \(line Sales chat\) has had no answer after 2 missed deadlines.*Now with Gleb Sokolov\./,
    );
    assert.match(
      (await breachLog(p, chatId))[1].reason.text_en,
      /Escalated to the supervisor Egor Volkov\.$/,
    );
    // The 3rd miss is passed on like the rest; the supervisor was told once.
    await p.passOn({ at: (await p.dueAt(chatId))! });
    assert.equal(seen(p, 6).length, 1);
    assert.deepEqual(await p.app.ctx.db.all(`SELECT * FROM first_touch_breach WHERE written = 0`), []);
  });

  test('an answer just before the deadline is no breach', async () => {
    const p = await chatPortal({ onBreach: 'reassign' });
    const chatId = await p.newChat();
    const due = (await p.dueAt(chatId))!;
    p.clock.set(due - 2000);
    p.emu.sim.operatorWrites({ chatId, userId: 2, text: 'Hello, how can I help?' });
    const r = await p.passOn({ at: due });
    assert.equal(r.answered, 1);
    assert.equal(r.firstMessage_breaches, undefined);
    assert.equal(ownerOf(p, chatId), 2);
    assert.equal(sends(p), 0);
  });

  test('keep and notify: the operator keeps it and is told; the 2nd miss tells the supervisor, then it is no longer watched', async () => {
    const p = await chatPortal({ onBreach: 'notify' }, { language: 'ru' });
    const chatId = await p.newChat('Ольга Лебедева');
    const r = await p.passOn({ at: (await p.dueAt(chatId))! });
    assert.equal(r.firstMessage_notified, 1);
    assert.equal(r.stayed, 1);
    assert.equal(ownerOf(p, chatId), 2, 'kept');
    assert.deepEqual(
      p.transfers().filter((t) => t.chatId === chatId && t.method === 'imopenlines.operator.transfer'),
      [],
    );
    assert.match(
      seen(p, 2)[0],
      /^Клиент «Ольга Лебедева» ждёт вашего ответа в чате \(линия: Sales chat\): ждёт 1 мин/,
    );
    assert.equal(seen(p, 6).length, 0, 'the supervisor only on the 2nd miss');
    const [b1] = await breachLog(p, chatId);
    assert.match(b1.reason.text_ru, /Чат остаётся у оператора, он уведомлён\./);

    const r2 = await p.passOn({ at: (await p.dueAt(chatId))! });
    assert.equal(r2.firstMessage_escalated, 1);
    assert.match(
      seen(p, 6)[0],
      /^Эскалация: клиент «Ольга Лебедева» .*после 2-го пропущенного срока.*Сейчас у: Boris Ivanov\./,
    );
    assert.equal(seen(p, 2).length, 2, 'told at each miss');
    assert.equal(await p.dueAt(chatId), null, 'escalated: no longer watched');
    p.clock.advance(3600_000);
    const later = await p.passOn();
    assert.equal(later.due ?? 0, 0);
    assert.equal(sends(p), 3);
  });

  test('working hours: a dialog arriving at night is not passed on at night; just before / after the boundary', async () => {
    const hours = {
      timeZone: 'Europe/Moscow',
      days: { mon: [['09:00', '18:00']], tue: [['09:00', '18:00']] },
    };
    const p = await chatPortal(
      { onBreach: 'reassign', workingHours: hours },
      { start: '2030-05-06T17:59:30+03:00' },
    );
    const chatId = await p.newChat();
    const due = (await p.dueAt(chatId))!;
    // 30 s left on Monday at most (the assignment took a moment), the rest from 09:00 on Tuesday.
    const nineTue = Date.parse('2030-05-07T09:00:00+03:00');
    assert.ok(due > nineTue && due <= nineTue + 60_000, new Date(due).toISOString());
    assert.equal(
      (await p.passOn({ at: Date.parse('2030-05-06T23:00:00+03:00') })).due ?? 0,
      0,
      'not at night',
    );
    assert.equal((await p.passOn({ at: due - 1000 })).due ?? 0, 0, 'just before');
    const r = await p.passOn({ at: due });
    assert.equal(r.firstMessage_breaches, 1, 'just after');
    assert.equal(ownerOf(p, chatId), 3);

    // At 02:00 Wednesday night a new client writes: due at 09:01 (a full minute of working time).
    p.clock.set(Date.parse('2030-05-08T02:00:00+03:00'));
    await p.app.ctx.settings.write(
      p.memberId,
      'line:1',
      lineSettingsSchema,
      {
        firstMessage: {
          enabled: true,
          seconds: 60,
          workingHours: { ...hours, days: { wed: [['09:00', '18:00']] } },
        },
      },
      null,
    );
    p.emu.sim.operatorWrites({ chatId, userId: 3, text: 'Good morning!' });
    const night = await p.newChat('Night Owl');
    assert.equal(ownerOf(p, night), 2);
    assert.equal(await p.dueAt(night), Date.parse('2030-05-08T09:01:00+03:00'));
    const early = await p.passOn({ at: Date.parse('2030-05-08T09:00:59+03:00') });
    assert.equal(early.firstMessage_breaches, undefined, 'a second before the working minute is up');
    assert.equal(ownerOf(p, night), 2);
    const late = await p.passOn({ at: Date.parse('2030-05-08T09:01:00+03:00') });
    assert.equal(late.firstMessage_breaches, 1);
    const [b] = late.firstMessage_list;
    assert.equal(b.chatId, night);
    assert.ok(
      Math.abs(b.waitedSec - (7 * 3600 + 60)) <= 2,
      `the client has waited since 02:00 (${b.waitedSec} s)`,
    );
  });

  test('--dry-run reports the breach and changes nothing; the real run then does what it said', async () => {
    const p = await chatPortal({ onBreach: 'reassign' });
    const chatId = await p.newChat();
    const at = (await p.dueAt(chatId))!;
    const tables = async () =>
      JSON.stringify(
        await Promise.all(
          ['first_touch_breach', 'first_touch_notice', 'ol_dialogs', 'assignment_log'].map((t) =>
            p.app.ctx.db.all(`SELECT * FROM ${t} ORDER BY 1, 2, 3`),
          ),
        ),
      );
    const beforeDb = await tables();
    const beforeCalls = p.emu.calls.length;
    const dry = await p.passOn({ at, dryRun: true });
    assert.equal(dry.firstMessage_breaches, 1);
    assert.deepEqual(dry.firstMessage_list, [
      {
        chatId,
        lineId: 1,
        breach: 1,
        holderId: 2,
        action: 'reassign',
        to: 3,
        waitedSec: dry.firstMessage_list[0].waitedSec,
      },
    ]);
    assert.ok(dry.firstMessage_list[0].waitedSec >= 60);
    assert.equal(await tables(), beforeDb, 'the store is as it was');
    const writes = p.emu.calls.slice(beforeCalls).filter((c) => /update|add|transfer/.test(c.method));
    assert.deepEqual(writes, [], 'nothing written to the portal');
    assert.equal(sends(p), 0);
    const real = await p.passOn({ at });
    assert.deepEqual(real.firstMessage_list, dry.firstMessage_list);
    assert.equal(ownerOf(p, chatId), 3);
  });

  test('the notifications’ answer lost: resent under the same tag, each person sees one', async () => {
    const p = await chatPortal({ onBreach: 'notify' });
    const chatId = await p.newChat();
    const at = (await p.dueAt(chatId))!;
    p.onCall = (c) => {
      if (c.method === 'im.notify.system.add' && c.viaBatch)
        p.emu.injectWireFault({ method: 'batch', kind: 'reset', times: 1 });
    };
    const r = await p.passOn({ at });
    p.onCall = undefined;
    assert.equal(r.firstMessage_breaches, 1);
    assert.equal(sends(p), 1, 'sent, answer lost');
    const next = await p.passOn({ at: at + 1000 });
    assert.equal(next.firstMessage_breaches ?? 0, 0, 'the breach is not counted again');
    assert.equal(next.firstMessage_resent, 1);
    assert.equal(sends(p), 2, 'resent once');
    assert.equal(seen(p, 2).length, 1, 'the second replaced the first: seen once');
    await p.passOn({ at: at + 2000 });
    assert.equal(sends(p), 2, 'confirmed: not sent again');
  });

  test('the portal refuses the notifications: the breach stays open and the next run tells each person once', async () => {
    const p = await chatPortal({ onBreach: 'reassign' });
    const chatId = await p.newChat();
    const at = (await p.dueAt(chatId))!;
    p.emu.injectFault({
      method: 'im.notify.system.add',
      status: 500,
      error: 'INTERNAL_SERVER_ERROR',
      times: 99,
    });
    const r = await p.passOn({ at });
    assert.equal(r.firstMessage_breaches, 1);
    assert.equal(ownerOf(p, chatId), 3, 'the chat moved all the same');
    assert.equal(seen(p, 3).length + seen(p, 2).length, 0);
    const open = `SELECT * FROM first_touch_breach WHERE kind = 'dialog' AND written = 0`;
    assert.equal((await p.app.ctx.db.all(open)).length, 1, 'kept open');
    p.emu.clearFaults();
    const next = await p.passOn({ at: at + 1000 });
    assert.equal(next.firstMessage_breaches ?? 0, 0);
    assert.deepEqual([seen(p, 3).length, seen(p, 2).length], [1, 1]);
    assert.deepEqual(await p.app.ctx.db.all(open), []);
    await p.passOn({ at: at + 2000 });
    assert.deepEqual([seen(p, 3).length, seen(p, 2).length], [1, 1], 'not again');
  });

  test('the portal refuses the new operator: nobody is told of a move that did not happen', async () => {
    const p = await chatPortal({ onBreach: 'reassign' });
    const chatId = await p.newChat();
    p.emu.sim.setUser(3, { acceptsTransfers: false });
    const r = await p.passOn({ at: (await p.dueAt(chatId))! });
    assert.equal(r.firstMessage_breaches, 1);
    const refused = p.transfers(true).filter((t) => t.chatId === chatId && Number(t.target) === 3);
    assert.deepEqual(
      refused.map((t) => t.error),
      ['OPERATOR_WRONG'],
    );
    await waitFor(async () => (await p.row(chatId))?.state === 'assigned', 'placed again');
    assert.notEqual(ownerOf(p, chatId), 3);
    await p.passOn({ at: (await p.dueAt(chatId))! - 1000 });
    assert.deepEqual([seen(p, 3), seen(p, 2)], [[], []], 'no "now yours", no "went to"');
    assert.deepEqual(await p.app.ctx.db.all(`SELECT * FROM first_touch_breach WHERE written = 0`), []);
    assert.equal((await breachLog(p, chatId)).length, 1, 'the miss itself is logged');
  });

  test('two runs recording the same breach at once: one wins; a later one with the same number writes nothing', async () => {
    const p = await chatPortal({ onBreach: 'notify' });
    const chatId = await p.newChat();
    const row = (await p.row(chatId))!;
    const repo = new ChatBreachRepository(p.app.ctx.db);
    const rec = (at: number): ChatBreachRecord => ({
      memberId: p.memberId,
      objectId: `${chatId}:${row.sessionId}`,
      breachNo: 1,
      queueId: 'line:1',
      holderId: 2,
      action: 'notify',
      newHolderId: null,
      supervisorId: null,
      waitedMs: 60_000,
      dueAt: at,
      at,
      notices: [{ userId: 2, role: 'holder', tag: `first_message|${chatId}|1|2`, message: 'answer' }],
      log: {
        memberId: p.memberId,
        kind: 'dialog',
        objectId: String(chatId),
        action: 'breach',
        operatorId: 2,
        reason: {},
        at,
      },
    });
    const both = await Promise.all([
      repo.record(rec(1), row, { passOnAt: 5 }),
      repo.record(rec(1), row, { passOnAt: 6 }),
    ]);
    assert.equal(both.filter(Boolean).length, 1, 'one of the two');
    const after = (await p.row(chatId))!.passOnAt;
    // A process that read the row after that commit, with the same breach number: rolled back whole.
    assert.equal(await repo.record(rec(2), (await p.row(chatId))!, { passOnAt: 7 }), undefined);
    assert.equal((await p.row(chatId))!.passOnAt, after, 'the row as the winner left it');
    const count = async (sql: string) => (await p.app.ctx.db.all(sql)).length;
    assert.equal(await count(`SELECT * FROM first_touch_breach WHERE kind = 'dialog'`), 1);
    assert.equal(await count(`SELECT * FROM first_touch_notice WHERE kind = 'dialog'`), 1);
    assert.equal((await breachLog(p, chatId)).length, 1);
  });

  test('cheap in requests: three breaching chats cost three batch requests in all (histories, people, notifications)', async () => {
    const p = await chatPortal({ onBreach: 'notify' });
    const chats = [await p.newChat('A'), await p.newChat('B'), await p.newChat('C')];
    const due = Math.max(...(await Promise.all(chats.map((c) => p.dueAt(c)))).map(Number));
    const from = p.emu.calls.length;
    const r = await p.passOn({ at: due });
    assert.equal(r.firstMessage_breaches, 3);
    const calls = p.emu.calls.slice(from);
    const requests = calls.filter((c) => !c.viaBatch).map((c) => c.method);
    // The histories, the operators' details (the directory's one batch: a minute has passed), the notices.
    assert.deepEqual(requests, ['batch', 'batch', 'batch'], 'no request per dialog');
    const perUser = calls.filter((c) => c.method === 'timeman.status').length;
    assert.ok(perUser <= 3, 'the directory reads the line’s people, not the dialogs');
    assert.equal(calls.filter((c) => c.method === 'imopenlines.session.history.get').length, 3);
    assert.equal(calls.filter((c) => c.method === 'im.notify.system.add').length, 3);
  });

  test('a line without the deadline switched on passes on as before: no breach, nobody told', async () => {
    const p = await chatPortal({ enabled: false });
    const chatId = await p.newChat();
    const r = await p.passOn({ at: (await p.dueAt(chatId))! });
    assert.equal(r.passedOn, 1);
    assert.equal(r.firstMessage_breaches, undefined);
    assert.equal(sends(p), 0);
    assert.deepEqual(await breachLog(p, chatId), []);
  });
});
