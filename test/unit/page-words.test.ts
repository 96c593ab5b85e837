import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { reasonText } from '../../src/web/api/reason-words.ts';
import { errorKind, jobResultView } from '../../src/web/api/result-words.ts';

const words = JSON.parse(readFileSync(new URL('../../views/i18n.json', import.meta.url), 'utf8')) as Record<
  'en' | 'ru',
  Record<string, string>
>;
const names = new Map([
  [4, 'Gleb Sokolov'],
  [2, 'Boris Ivanov'],
]);
const nameOf = (id: number) => names.get(id) ?? `#${id}`;
const looksRaw = (s: string) => /[{}"]|\b[a-z]+_[a-z_]+\b|\b[a-z]+[A-Z]\w+\b/.test(s);

describe('the assignment log in words', () => {
  const reasons: unknown[] = [
    { rule: 'skip', detail: 'from_assigned_dialog', operatorId: 4, dialogOperatorId: 4 },
    { rule: 'skip', detail: 'responsible_chosen', operatorId: 2 },
    { rule: 'skip', detail: 'changed_before_write', operatorId: 2 },
    { rule: 'skip', detail: 'write_refused', error: 'ACCESS_DENIED', operatorId: 2 },
    { rule: 'skip', detail: 'something_new' },
    { rule: 'no_operator_answer', since: 1, thresholdDays: 30 },
    { rule: 'no_client_reply', since: 1, thresholdDays: 7 },
    { rule: 'portal_queue', skipped: { at_capacity: [], unavailable: [] }, detail: 'taken_by_portal' },
    { rule: 'portal_queue', skipped: { at_capacity: [], unavailable: [] }, detail: 'unknown_line' },
    { rule: 'never_heard_of', some: { nested: 'json' } },
    { rule: 'wait', skipped: { at_capacity: [4] } },
    null,
  ];
  for (const lang of ['en', 'ru'] as const) {
    it(`says every kind of reason in words, never as JSON or a code (${lang})`, () => {
      for (const reason of reasons) {
        const text = reasonText({ reason }, lang, nameOf);
        assert.ok(text.length > 10, `${JSON.stringify(reason)} → ${text}`);
        assert.ok(!looksRaw(text), `${JSON.stringify(reason)} → ${text}`);
      }
    });
  }
  it('names the people a lead was left with', () => {
    const text = reasonText(
      { reason: { rule: 'skip', detail: 'from_assigned_dialog', operatorId: 4, dialogOperatorId: 4 } },
      'en',
      nameOf,
    );
    assert.match(text, /^Left alone: .*Gleb Sokolov/);
    assert.match(reasonText({ reason: { rule: 'no_client_reply', thresholdDays: 7 } }, 'ru', nameOf), /7 дн/);
  });
});

describe('job results and failures for the page', () => {
  it('hands over numbers by name and failures by kind, never the nested detail', () => {
    const v = jobResultView({
      lines: 2,
      leads_leadsAdded: 3,
      dialogs: [{ chatId: 1 }],
      timeZone: 'Europe/Moscow',
      error: 'imopenlines.operator.another.finish: ACCESS_DENIED',
    });
    assert.deepEqual(v.counters, { lines: 2, leads_leadsAdded: 3 });
    assert.equal(v.error, 'access_denied');
    assert.match(v.detail ?? '', /ACCESS_DENIED/);
    assert.deepEqual(jobResultView({ skipped: 'lease held', heldBy: 'x' }).skipped, 'lease_held');
    assert.deepEqual(jobResultView({ skipped: 'not started: shutting down' }).skipped, 'stopping');
    assert.equal(jobResultView({ due: false, why: 'before_hour' }).notDue, 'before_hour');
  });
  it('tells the kinds of failure apart', () => {
    assert.equal(errorKind('no handler for ONCRMDEALADD'), 'no_handler');
    assert.equal(errorKind('QUERY_LIMIT_EXCEEDED: too many requests'), 'rate_limit');
    assert.equal(errorKind('fetch failed: ECONNREFUSED'), 'unreachable');
    assert.equal(errorKind('expired_token'), 'auth_lost');
    assert.equal(errorKind('ERROR_CORE: something'), 'portal_error');
    assert.equal(errorKind('boom'), 'other');
  });
  it('has words in both languages for every kind of failure and every counter the jobs report', () => {
    const kinds = [
      'access_denied',
      'rate_limit',
      'unreachable',
      'auth_lost',
      'no_handler',
      'not_found',
      'lease_held',
      'portal_error',
      'other',
    ];
    for (const lang of ['en', 'ru'] as const) {
      for (const k of kinds) assert.ok(words[lang][`error_${k}`], `${lang}: error_${k}`);
    }
    // The counters the jobs' code returns (src/jobs, src/openlines, src/crm, src/events): each has its words.
    const src = [
      'src/openlines/sync-job.ts',
      'src/openlines/pass-on-job.ts',
      'src/jobs/maintenance/close-idle-job.ts',
      'src/jobs/maintenance/reclaim-job.ts',
      'src/crm/lead-sync.ts',
    ]
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const counters = new Set<string>();
    for (const m of src.matchAll(/\br\.(\w+)\+\+|\b(\w+): 0,/g)) counters.add(m[1] ?? m[2]);
    for (const c of ['stored', 'duplicates', 'failed']) counters.add(c); // offline-events.ts
    for (const m of readFileSync('src/crm/lead-sync.ts', 'utf8').matchAll(/\b(leads\w+):/g))
      counters.add(`leads_${m[1]}`);
    // The pass-on job's lead step reports its counters as firstTouch_<name> (crm/first-touch/check.ts).
    const ft = /const out = \{([^}]*)\}/.exec(readFileSync('src/crm/first-touch/check.ts', 'utf8'));
    for (const m of (ft?.[1] ?? '').matchAll(/\b(\w+): 0\b/g)) counters.add(`firstTouch_${m[1]}`);
    assert.ok(counters.has('firstTouch_breaches'), 'the first-touch counters are found');
    // … and its chat step as firstMessage_<name> (openlines/first-message.ts).
    const fm = /readonly out = \{([^}]*)\}/.exec(readFileSync('src/openlines/first-message.ts', 'utf8'));
    for (const m of (fm?.[1] ?? '').matchAll(/\b(\w+): 0\b/g)) counters.add(`firstMessage_${m[1]}`);
    assert.ok(counters.has('firstMessage_breaches'), 'the first-message counters are found');
    // Reported as words of their own, not counted (the page shows numbers only).
    counters.delete('leads_leadsRead');
    assert.ok(counters.size > 20, [...counters].join(','));
    for (const c of counters) {
      assert.ok(words.en[`counter_${c}`] && words.ru[`counter_${c}`], `counter_${c}`);
    }
  });
});

describe('the log in words: every action and every kind of item', () => {
  it('has a word in both languages for every action and item kind the log records', () => {
    const src = readFileSync('src/db/repositories/assignment-log.ts', 'utf8');
    const union = (name: string) =>
      [...(new RegExp(`export type ${name} =([^;]+);`).exec(src)?.[1] ?? '').matchAll(/'(\w+)'/g)].map(
        (m) => m[1],
      );
    const actions = union('LogAction');
    assert.ok(actions.length >= 9, actions.join(','));
    for (const a of actions) assert.ok(words.en[`action_${a}`] && words.ru[`action_${a}`], `action_${a}`);
    const kinds = union('LogKind');
    assert.ok(kinds.includes('dialog') && kinds.includes('lead'), kinds.join(','));
    for (const k of kinds) assert.ok(words.en[k] && words.ru[k], k);
  });
});
