import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CANDIDATE_SLACK_MS,
  DAY_MS,
  idleDueAt,
  idleVerdict,
  readIdleHistory,
} from '../../src/jobs/maintenance/idle-rules.ts';
import {
  dailyGate,
  localTime,
  offsetOf,
  zoneFrom,
  zoneLabel,
} from '../../src/jobs/maintenance/portal-time.ts';
import { idleSchema } from '../../src/settings/schema.ts';

const T0 = Date.parse('2025-03-01T10:00:00Z');
const CLIENT = 501;
const OPERATOR = 2;
const BOT = 900;
const defaults = idleSchema.parse({});

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/** An imopenlines.session.history.get answer: [id, sender, at] per message. */
function history(msgs: [number, number, number][]) {
  const message: Record<string, unknown> = {};
  for (const [id, sender, at] of msgs)
    message[String(id)] = { id: String(id), senderid: String(sender), date: iso(at) };
  return {
    message,
    users: {
      [CLIENT]: { id: CLIENT, connector: true, bot: false },
      [OPERATOR]: { id: OPERATOR, connector: false, bot: false },
      [BOT]: { id: BOT, connector: false, bot: true },
    },
  };
}

const assigned = {
  state: 'assigned' as const,
  holder: 'operator' as const,
  operatorId: OPERATOR,
  arrivedAt: T0,
};

describe('close-idle: reading a history', () => {
  test('system messages and bots do not count; the client and staff do; dates are kept', () => {
    const h = readIdleHistory(
      history([
        [1, CLIENT, T0],
        [2, BOT, T0 + 1000],
        [3, OPERATOR, T0 + 60_000],
        [4, 0, T0 + 120_000],
      ]),
    );
    assert.deepEqual(h, {
      lastMessageId: 4,
      operatorWrote: true,
      lastFrom: 'operator',
      lastAt: T0 + 60_000,
      firstAt: T0,
    });
  });

  test('only the client and the bot wrote: no operator message', () => {
    const h = readIdleHistory(
      history([
        [7, CLIENT, T0],
        [8, BOT, T0 + 5],
      ]),
    );
    assert.equal(h.operatorWrote, false);
    assert.equal(h.lastFrom, 'client');
  });

  test('an empty answer (message: []) is no message at all', () => {
    assert.deepEqual(readIdleHistory({ message: [], users: {} }), {
      lastMessageId: 0,
      operatorWrote: false,
      lastFrom: null,
      lastAt: null,
      firstAt: null,
    });
  });
});

describe('close-idle: the rules at their boundaries', () => {
  const unanswered = readIdleHistory(history([[1, CLIENT, T0]]));

  test('no operator answer: 29 days stays open, 30 and 31 close', () => {
    assert.equal(idleVerdict(assigned, unanswered, T0 + 29 * DAY_MS, defaults), null);
    assert.equal(idleVerdict(assigned, unanswered, T0 + 30 * DAY_MS - 1, defaults), null);
    assert.equal(idleVerdict(assigned, unanswered, T0 + 30 * DAY_MS, defaults)?.rule, 'no_operator_answer');
    const v = idleVerdict(assigned, unanswered, T0 + 31 * DAY_MS, defaults);
    assert.deepEqual(v, { rule: 'no_operator_answer', since: T0, thresholdDays: 30 });
  });

  test('no operator answer applies to a dialog nobody holds too (waiting in a queue)', () => {
    const waiting = { ...assigned, state: 'waiting' as const, holder: 'bot' as const, operatorId: null };
    assert.equal(idleVerdict(waiting, unanswered, T0 + 31 * DAY_MS, defaults)?.rule, 'no_operator_answer');
  });

  test('the session starts at its first message when that is before the register saw it', () => {
    const late = { ...assigned, arrivedAt: T0 + DAY_MS };
    assert.equal(idleVerdict(late, unanswered, T0 + 30 * DAY_MS, defaults)?.since, T0);
  });

  test('one operator message, however old, stops the no-answer rule', () => {
    const h = readIdleHistory(
      history([
        [1, CLIENT, T0],
        [2, OPERATOR, T0 + 1000],
        [3, CLIENT, T0 + 2000],
      ]),
    );
    assert.equal(idleVerdict(assigned, h, T0 + 100 * DAY_MS, defaults), null);
  });

  test('no client reply: the operator wrote last 6 days ago stays open, 7 and 8 days close', () => {
    const wrote = T0 + DAY_MS;
    const h = readIdleHistory(
      history([
        [1, CLIENT, T0],
        [2, OPERATOR, wrote],
        [3, 0, wrote + 5],
      ]),
    );
    assert.equal(idleVerdict(assigned, h, wrote + 6 * DAY_MS, defaults), null);
    assert.equal(idleVerdict(assigned, h, wrote + 7 * DAY_MS - 1, defaults), null);
    assert.equal(idleVerdict(assigned, h, wrote + 7 * DAY_MS, defaults)?.rule, 'no_client_reply');
    assert.deepEqual(idleVerdict(assigned, h, wrote + 8 * DAY_MS, defaults), {
      rule: 'no_client_reply',
      since: wrote,
      thresholdDays: 7,
    });
  });

  test('no client reply needs an operator holding it, and the operator to have the last word', () => {
    const wrote = T0 + DAY_MS;
    const h = readIdleHistory(
      history([
        [1, CLIENT, T0],
        [2, OPERATOR, wrote],
      ]),
    );
    const waiting = { ...assigned, state: 'waiting' as const };
    const inQueue = { ...assigned, state: 'portal' as const, holder: 'none' as const, operatorId: null };
    assert.equal(idleVerdict(waiting, h, wrote + 8 * DAY_MS, defaults), null);
    assert.equal(idleVerdict(inQueue, h, wrote + 8 * DAY_MS, defaults), null);
    assert.equal(
      idleVerdict({ ...assigned, state: 'portal' }, h, wrote + 8 * DAY_MS, defaults)?.rule,
      'no_client_reply',
    );
    const replied = readIdleHistory(
      history([
        [1, CLIENT, T0],
        [2, OPERATOR, wrote],
        [3, CLIENT, wrote + 1],
      ]),
    );
    assert.equal(idleVerdict(assigned, replied, wrote + 30 * DAY_MS, defaults), null);
  });

  test("a line's own thresholds, and a line with closing off", () => {
    const s = idleSchema.parse({ noOperatorAnswerDays: 2, noClientReplyDays: 1 });
    assert.equal(idleVerdict(assigned, unanswered, T0 + 2 * DAY_MS, s)?.rule, 'no_operator_answer');
    assert.equal(idleVerdict(assigned, unanswered, T0 + 2 * DAY_MS - 1, s), null);
    const off = idleSchema.parse({ enabled: false });
    assert.equal(idleVerdict(assigned, unanswered, T0 + 365 * DAY_MS, off), null);
  });
});

describe('close-idle: which histories to read', () => {
  const row = { ...assigned, lastMessageId: 10 };

  test('never read: from the arrival on, by the shorter threshold, a little early', () => {
    assert.equal(idleDueAt(row, undefined, defaults), T0 - CANDIDATE_SLACK_MS + 7 * DAY_MS);
  });

  test('nobody answered: when the session turns 30 days, or a week after the read', () => {
    const facts = {
      lastMessageId: 10,
      operatorWrote: false,
      lastFrom: 'client' as const,
      lastAt: T0,
      checkedAt: T0 + DAY_MS,
    };
    assert.equal(idleDueAt(row, facts, defaults), T0 + DAY_MS + 7 * DAY_MS);
    const late = { ...facts, checkedAt: T0 + 25 * DAY_MS };
    assert.equal(idleDueAt(row, late, defaults), T0 - CANDIDATE_SLACK_MS + 30 * DAY_MS);
  });

  test('the operator wrote last: a week after that message; never while nobody holds it', () => {
    const facts = {
      lastMessageId: 10,
      operatorWrote: true,
      lastFrom: 'operator' as const,
      lastAt: T0 + 3 * DAY_MS,
      checkedAt: T0 + 4 * DAY_MS,
    };
    assert.equal(idleDueAt(row, facts, defaults), T0 + 10 * DAY_MS);
    assert.equal(idleDueAt({ ...row, state: 'waiting' }, facts, defaults), Number.POSITIVE_INFINITY);
  });

  test('the client wrote last: a week after the read (an unseen operator reply starts the clock)', () => {
    const facts = {
      lastMessageId: 10,
      operatorWrote: true,
      lastFrom: 'client' as const,
      lastAt: T0,
      checkedAt: T0 + 2 * DAY_MS,
    };
    assert.equal(idleDueAt(row, facts, defaults), T0 + 9 * DAY_MS);
  });

  test('a newer message in the register makes the old reading worthless', () => {
    const facts = {
      lastMessageId: 9,
      operatorWrote: true,
      lastFrom: 'operator' as const,
      lastAt: T0 + 20 * DAY_MS,
      checkedAt: T0 + 21 * DAY_MS,
    };
    assert.equal(idleDueAt(row, facts, defaults), T0 - CANDIDATE_SLACK_MS + 7 * DAY_MS);
  });
});

describe('reclaim-departed: the portal time zone and the daily gate', () => {
  test("the installing user's TIME_ZONE first, then the offset of server.time, then UTC", () => {
    assert.deepEqual(zoneFrom('Europe/Berlin', '2025-01-01T10:00:00+03:00'), {
      zone: { kind: 'iana', name: 'Europe/Berlin' },
      source: 'user',
    });
    assert.deepEqual(zoneFrom('', '2025-01-01T10:00:00+03:00'), {
      zone: { kind: 'offset', minutes: 180 },
      source: 'server.time',
    });
    assert.deepEqual(zoneFrom('Not/AZone', '2025-01-01T10:00:00-05:30'), {
      zone: { kind: 'offset', minutes: -330 },
      source: 'server.time',
    });
    assert.deepEqual(zoneFrom(undefined, 'garbage'), {
      zone: { kind: 'offset', minutes: 0 },
      source: 'default',
    });
    assert.equal(offsetOf('2025-01-01T10:00:00Z'), 0);
    assert.equal(zoneLabel({ kind: 'offset', minutes: -330 }), 'UTC-05:30');
  });

  test('local time in a named zone follows daylight saving', () => {
    const berlin = { kind: 'iana' as const, name: 'Europe/Berlin' };
    assert.deepEqual(localTime(Date.parse('2025-01-15T02:30:00Z'), berlin), {
      day: '2025-01-15',
      hour: 3,
      minute: 30,
    });
    assert.deepEqual(localTime(Date.parse('2025-07-15T01:30:00Z'), berlin), {
      day: '2025-07-15',
      hour: 3,
      minute: 30,
    });
    const plus3 = { kind: 'offset' as const, minutes: 180 };
    assert.deepEqual(localTime(Date.parse('2025-07-15T23:10:00Z'), plus3), {
      day: '2025-07-16',
      hour: 2,
      minute: 10,
    });
  });

  test('due from 03:00 local once a day; a missed hour is made up the same day', () => {
    const moscow = { kind: 'offset' as const, minutes: 180 };
    const at = (local: string) => Date.parse(`${local}+03:00`);
    assert.deepEqual(dailyGate(at('2025-05-02T02:59:00'), moscow, 3, '2025-05-01'), {
      due: false,
      localDay: '2025-05-02',
      why: 'before_hour',
    });
    assert.deepEqual(dailyGate(at('2025-05-02T03:00:00'), moscow, 3, '2025-05-01'), {
      due: true,
      localDay: '2025-05-02',
    });
    assert.deepEqual(dailyGate(at('2025-05-02T04:00:00'), moscow, 3, '2025-05-02'), {
      due: false,
      localDay: '2025-05-02',
      why: 'done_today',
    });
    assert.equal(dailyGate(at('2025-05-02T17:00:00'), moscow, 3, '2025-04-28').due, true, 'made up late');
    assert.equal(dailyGate(at('2025-05-02T03:30:00'), moscow, 3, undefined).due, true, 'first ever');
  });
});
