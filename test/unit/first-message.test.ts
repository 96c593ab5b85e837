import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
import { queueRulesSchema } from '../../src/engine/index.ts';
import { chatBreachCounts } from '../../src/openlines/first-message-report.ts';
import {
  chatBreachWords,
  chatNoticeText,
  clientNameOf,
  waited,
} from '../../src/openlines/first-message-texts.ts';
import { firstMessageDeadline, rulesFor } from '../../src/openlines/lines.ts';
import { lineSettingsSchema } from '../../src/settings/schema.ts';

const rules = queueRulesSchema.parse({ mode: 'strictly', passOnAfterSec: 60 });
const hours = { timeZone: 'Europe/Moscow', days: { mon: [['09:00', '18:00']] as [string, string][] } };
const line = (fm: Record<string, unknown>) => lineSettingsSchema.parse({ firstMessage: fm });
const at = (s: string) => Date.parse(s);

describe('a chat’s first-message deadline', () => {
  it('off: the plain timeout, around the clock (today’s pass-on)', () => {
    const from = at('2030-05-06T23:00:00+03:00');
    assert.equal(firstMessageDeadline(from, rules, line({ workingHours: hours })), from + 60_000);
    assert.equal(firstMessageDeadline(from, rules, undefined), from + 60_000);
  });
  it('on: counts only inside the working hours, to the millisecond at the boundary', () => {
    const on = line({ enabled: true, workingHours: hours });
    // 17:59:30 Monday: 30 s left today, the other 30 s from 09:00 next Monday.
    assert.equal(
      firstMessageDeadline(at('2030-05-06T17:59:30+03:00'), rules, on),
      at('2030-05-13T09:00:30+03:00'),
    );
    // 17:58:59.999: the minute fits in the day, just.
    assert.equal(
      firstMessageDeadline(at('2030-05-06T17:58:59.999+03:00'), rules, on),
      at('2030-05-06T17:59:59.999+03:00'),
    );
    // At night: the minute starts at 09:00.
    assert.equal(
      firstMessageDeadline(at('2030-05-06T03:00:00+03:00'), rules, on),
      at('2030-05-06T09:01:00+03:00'),
    );
    assert.equal(
      firstMessageDeadline(at('2030-05-06T10:00:00Z'), rules, line({ enabled: true })),
      at('2030-05-06T10:01:00Z'),
      'no hours: around the clock',
    );
  });
  it('never due: "all at once", no timeout, or no working time ever', () => {
    const on = line({ enabled: true });
    assert.equal(firstMessageDeadline(0, { ...rules, mode: 'all' }, on), null);
    assert.equal(firstMessageDeadline(0, { ...rules, passOnAfterSec: null }, on), null);
    const never = line({ enabled: true, workingHours: { timeZone: 'UTC', days: {} } });
    assert.equal(firstMessageDeadline(0, rules, never), null);
  });
  it('validates the new settings like the rest', () => {
    const d = line({}).firstMessage;
    assert.deepEqual(
      { ...d },
      {
        enabled: false,
        seconds: null,
        onBreach: 'reassign',
        workingHours: null,
        escalateAfterBreaches: 2,
        supervisorId: null,
      },
    );
    assert.throws(() => line({ onBreach: 'shout' }));
    assert.throws(() => line({ escalateAfterBreaches: 0 }));
    assert.throws(() => line({ workingHours: { timeZone: 'Mars/Olympus', days: {} } }));
  });
});

describe('a chat’s breach in words', () => {
  const facts = {
    chatId: 7,
    client: 'Olga [Lebedeva]',
    line: 'Sales chat',
    waitedMs: 95_000,
    seconds: 60,
    breachNo: 2,
    holder: 'Boris Ivanov',
    newHolder: 'Vera Petrova',
  };
  it('says how long the client waited, in seconds when short', () => {
    assert.equal(waited(45_000, 'en'), '45 s');
    assert.equal(waited(95_000, 'ru'), '1 мин 35 с');
    assert.equal(waited(2 * 3600_000 + 5 * 60_000, 'en'), '2 h 5 min');
    assert.equal(waited(26 * 3600_000, 'ru'), '1 д 2 ч');
  });
  it('names the client and the time waited in every notice, in both languages', () => {
    for (const role of ['holder', 'new_holder', 'previous', 'supervisor'] as const) {
      for (const lang of ['en', 'ru'] as const) {
        const t = chatNoticeText(role, facts, lang);
        assert.match(t, /Olga Lebedeva/, t);
        assert.match(t, lang === 'en' ? /1 min 35 s/ : /1 мин 35 с/, t);
        assert.doesNotMatch(t, /[[\]]/, 'no stray BB code brackets');
      }
    }
    assert.match(
      chatNoticeText('supervisor', facts, 'en'),
      /after 2 missed deadlines.*Now with Vera Petrova/,
    );
  });
  it('gives the log its words: passed on, kept, nobody else, escalated', () => {
    const r = chatBreachWords(facts, { action: 'reassign', nobodyElse: false, supervisor: 'Egor Volkov' });
    assert.match(r.text_en, /^First-answer deadline missed \(2nd time\): Boris Ivanov did not answer/);
    assert.match(r.text_en, /passed on to Vera Petrova\. Escalated to the supervisor Egor Volkov\.$/);
    assert.match(
      r.text_ru,
      /\(2-й раз\).*Чат передан дальше: Vera Petrova\. Эскалация руководителю: Egor Volkov\.$/,
    );
    const k = chatBreachWords(facts, { action: 'notify', nobodyElse: true, supervisor: null });
    assert.match(k.text_en, /Nobody else could take it/);
    assert.match(k.text_ru, /Передать некому/);
  });
  it('reads the client’s name from the session history: the connector user, else the chat', () => {
    const h = {
      users: {
        '2': { name: 'Boris Ivanov', connector: false },
        '15': { name: 'Olga Lebedeva', connector: true },
      },
      chat: { '7': { name: 'Olga - Sales chat' } },
    };
    assert.equal(clientNameOf(h, 7), 'Olga Lebedeva');
    assert.equal(
      clientNameOf({ users: {}, chat: { '7': { name: 'Olga - Sales chat' } } }, 7),
      'Olga - Sales chat',
    );
    assert.equal(clientNameOf(null, 7), null);
  });
});

describe('the chats’ part of the speed report', () => {
  it('counts misses per line for today and the week', () => {
    const w = { today: { from: 100, to: 200 }, week: { from: 0, to: 200 } };
    const c = chatBreachCounts(
      [
        { queueId: 'line:1', at: 150 },
        { queueId: 'line:1', at: 50 },
        { queueId: 'line:2', at: 60 },
        { queueId: 'leads:default', at: 150 },
      ],
      w,
    );
    assert.deepEqual(c, {
      today: 1,
      week: 3,
      lines: [
        { lineId: 1, today: 1, week: 2 },
        { lineId: 2, today: 0, week: 1 },
      ],
    });
  });
});

const lineInfo = {
  memberId: 'm',
  lineId: 1,
  config: { QUEUE_TYPE: 'evenly', QUEUE_TIME: '60' },
  queue: [2, 3],
  botId: null,
  active: true,
  fetchedAt: 0,
};

test("a line's explicit first-message deadline replaces its pass-on timeout; unset keeps QUEUE_TIME", () => {
  assert.equal(rulesFor(lineInfo, lineSettingsSchema.parse({})).passOnAfterSec, 60);
  assert.equal(
    rulesFor(lineInfo, lineSettingsSchema.parse({ firstMessage: { seconds: 30 } })).passOnAfterSec,
    30,
  );
  const own = lineSettingsSchema.parse({ useLineSettings: false, firstMessage: { seconds: 45 } });
  assert.equal(rulesFor(lineInfo, own).passOnAfterSec, 45);
  assert.equal(lineSettingsSchema.safeParse({ firstMessage: { seconds: 1 } }).success, false);
});
