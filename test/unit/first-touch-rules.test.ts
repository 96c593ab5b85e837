import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { judge } from '../../src/crm/first-touch/judge.ts';
import {
  isoSeconds,
  parseTouchRead,
  type TouchFacts,
  touchReadCommands,
} from '../../src/crm/first-touch/read.ts';
import { breachWords, duration, noticeText } from '../../src/crm/first-touch/texts.ts';
import type { WatchRow } from '../../src/db/repositories/first-touch.ts';

const T0 = Date.parse('2030-05-06T09:00:00Z');
const MIN = 60_000;

function watch(o: Partial<WatchRow> = {}): WatchRow {
  return {
    memberId: 'm',
    kind: 'lead',
    objectId: '10',
    queueId: 'leads:default',
    holderId: 2,
    holders: [2],
    statusId: 'NEW',
    arrivedAt: T0,
    assignedAt: T0,
    deadlineAt: T0 + 15 * MIN,
    breaches: 0,
    state: 'watching',
    touchedAt: null,
    touchedBy: null,
    touch: null,
    ...o,
  };
}

function facts(o: Partial<TouchFacts> = {}): TouchFacts {
  return {
    leadId: 10,
    holderId: 2,
    statusId: 'NEW',
    client: 'Olga',
    movedBy: 1,
    movedTime: T0 - MIN,
    activity: null,
    activitiesComplete: true,
    ...o,
  };
}

const rules = { openStatuses: ['NEW', 'IN_PROCESS'], stageChangeCounts: true };

describe('first touch: judging one due lead', () => {
  test('the deadline is the boundary: a millisecond before is not a breach, at it is', () => {
    assert.equal(judge(watch(), facts(), { ...rules, now: T0 + 15 * MIN - 1 }).kind, 'unknown');
    assert.equal(judge(watch(), facts(), { ...rules, now: T0 + 15 * MIN }).kind, 'breach');
  });

  test('no working time ahead (deadline null): never a breach', () => {
    assert.equal(
      judge(watch({ deadlineAt: null }), facts(), { ...rules, now: T0 + 99 * MIN }).kind,
      'unknown',
    );
  });

  test('an activity in the assignment’s own second counts (CREATED has whole seconds)', () => {
    const now = T0 + 20 * MIN;
    const w = watch({ assignedAt: T0 + 400 });
    assert.deepEqual(judge(w, facts({ activity: { at: T0, typeId: 2 } }), { ...rules, now }), {
      kind: 'touched',
      at: T0,
      touch: 'activity:2',
    });
    // parseTouchRead drops activities before the assignment; judge trusts what it is given.
  });

  test('a stage set by the holder after they got it counts; before it, or by someone else, does not', () => {
    const now = T0 + 20 * MIN;
    const moved = { statusId: 'IN_PROCESS', movedTime: T0 + 3 * MIN };
    assert.equal(judge(watch(), facts({ ...moved, movedBy: 2 }), { ...rules, now }).kind, 'touched');
    assert.equal(judge(watch(), facts({ ...moved, movedBy: 4 }), { ...rules, now }).kind, 'breach');
    assert.equal(
      judge(watch(), facts({ ...moved, movedBy: 2, movedTime: T0 - 1000 }), { ...rules, now }).kind,
      'breach',
    );
    assert.equal(
      judge(watch(), facts({ ...moved, movedBy: 2 }), { ...rules, now, stageChangeCounts: false }).kind,
      'breach',
    );
  });

  test('closed by someone else ends the watch; converted by the holder is contact', () => {
    const now = T0 + 20 * MIN;
    assert.equal(
      judge(watch(), facts({ statusId: 'JUNK', movedBy: 4, movedTime: T0 + MIN }), { ...rules, now }).kind,
      'closed',
    );
    assert.equal(
      judge(watch(), facts({ statusId: 'CONVERTED', movedBy: 2, movedTime: T0 + MIN }), { ...rules, now })
        .kind,
      'touched',
    );
  });

  test('gone, moved by a person, or an incomplete read: no breach', () => {
    const now = T0 + 20 * MIN;
    assert.equal(judge(watch(), undefined, { ...rules, now }).kind, 'gone');
    assert.deepEqual(judge(watch(), facts({ holderId: 5 }), { ...rules, now }), {
      kind: 'moved',
      holderId: 5,
    });
    assert.equal(judge(watch(), facts({ activitiesComplete: false }), { ...rules, now }).kind, 'unknown');
  });
});

describe('first touch: the batched read', () => {
  const group = [watch(), watch({ objectId: '11', holderId: 3, assignedAt: T0 + MIN })];

  test('three commands per group: the leads by id, and two pages of their holders’ activities since the earliest assignment', () => {
    const cmds = touchReadCommands(group, 'g0');
    assert.deepEqual(Object.keys(cmds), ['g0i', 'g0a0', 'g0a1']);
    const [method, params] = cmds.g0a0;
    assert.equal(method, 'crm.activity.list');
    assert.deepEqual((params as any).filter, {
      OWNER_TYPE_ID: 1,
      '@OWNER_ID': [10, 11],
      '@AUTHOR_ID': [2, 3],
      COMPLETED: 'Y',
      '!DIRECTION': 1,
      '@TYPE_ID': [1, 2, 4, 6],
      '>=CREATED': '2030-05-06T09:00:00+00:00',
    });
    assert.equal((cmds.g0a1[1] as any).start, 50);
    assert.equal(isoSeconds(T0 + 999), '2030-05-06T09:00:00+00:00');
  });

  test('only the holder’s own activity since their assignment counts; a full second page leaves the rest unknown', () => {
    const act = (owner: number, author: number, at: number) => ({
      OWNER_ID: String(owner),
      AUTHOR_ID: String(author),
      TYPE_ID: '2',
      CREATED: new Date(at).toISOString(),
    });
    const items = {
      items: [
        { id: 10, assignedById: 2, stageId: 'NEW' },
        { id: 11, assignedById: 3, stageId: 'NEW' },
      ],
    };
    const r = parseTouchRead(
      group,
      {
        results: {
          g0i: items,
          g0a0: [act(10, 3, T0 + 2 * MIN), act(11, 3, T0 + 30_000), act(11, 3, T0 + 2 * MIN)],
          g0a1: [],
        },
        errors: {},
      },
      'g0',
    );
    assert.equal(r.failed, null);
    assert.equal(r.facts.get(10)?.activity, null, "3's call on 2's lead is not 2's contact");
    assert.deepEqual(
      r.facts.get(11)?.activity,
      { at: T0 + 2 * MIN, typeId: 2 },
      'before 3 got it: not counted',
    );
    assert.equal(r.facts.get(10)?.activitiesComplete, true);
    const full = parseTouchRead(
      group,
      {
        results: { g0i: items, g0a0: Array(50).fill(act(99, 2, T0)), g0a1: Array(50).fill(act(99, 2, T0)) },
        errors: {},
      },
      'g0',
    );
    assert.equal(full.facts.get(10)?.activitiesComplete, false);
    const failed = parseTouchRead(
      group,
      { results: {}, errors: { g0a1: { error: 'QUERY_LIMIT_EXCEEDED', error_description: 'Too many' } } },
      'g0',
    );
    assert.match(failed.failed ?? '', /QUERY_LIMIT_EXCEEDED/);
  });
});

describe('first touch: words', () => {
  test('durations in both languages', () => {
    assert.equal(duration(17 * MIN, 'en'), '17 min');
    assert.equal(duration(125 * MIN, 'ru'), '2 ч 5 мин');
    assert.equal(duration(27 * 60 * MIN, 'en'), '1 d 3 h');
  });

  test('every text names the client and the time waited, in the portal’s language', () => {
    const f = {
      leadId: 7,
      client: 'Olga [VIP]',
      waitedMs: 32 * MIN,
      minutes: 15,
      breachNo: 2,
      holder: 'Boris',
      newHolder: 'Vera',
    };
    for (const role of ['holder', 'new_holder', 'previous', 'supervisor'] as const) {
      const en = noticeText(role, f, 'en');
      const ru = noticeText(role, f, 'ru');
      assert.match(en, /\[URL=\/crm\/lead\/details\/7\/\]Olga VIP\[\/URL\]/, role);
      assert.match(en, /32 min/, role);
      assert.match(ru, /32 мин/, role);
    }
    const w = breachWords(f, { action: 'reassign', nobodyElse: false, supervisor: 'Sofia' });
    assert.match(w.text_en, /\(2nd time\).*passed on to Vera.*supervisor Sofia/);
    assert.match(
      w.text_ru,
      /\(2-й раз\): нет контакта с клиентом «Olga \[VIP\]» за 15 мин \(ответственный: Boris\)/,
    );
    assert.match(w.text_ru, /Лид передан дальше: Vera.*руководителю: Sofia/);
  });
});
