import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  decide,
  explain,
  onOperatorUnavailable,
  passOn,
  type Reason,
  type UnavailableWhy,
} from '../../../src/engine/index.ts';
import { item, op, queueOf, T0 } from './fixtures.ts';

const names: Record<number, string> = { 1: 'Anna', 2: 'Boris', 3: 'Vera' };
const nameOf = (id: number) => names[id] ?? `#${id}`;

describe('explain', () => {
  it('renders an evenly decision with skipped operators in English and Russian', () => {
    const d = decide(
      queueOf([1, 2, 3], { capacity: { limit: 1 } }),
      [op(1, { online: false }), op(2, { load: { notAnswered: 1 } }), op(3)],
      item(),
      T0,
    );
    assert.equal(
      explain(d.reason, 'en', nameOf),
      'Assigned to Vera by the rule "evenly": the longest since their last assignment. Skipped — at their limit: Boris; unavailable: Anna (offline).',
    );
    assert.equal(
      explain(d.reason, 'ru', nameOf),
      'Назначено: Vera, правило «равномерно»: дольше всех без новых обращений. Пропущены — достигли лимита: Boris; недоступны: Anna (не в сети).',
    );
  });

  it('renders a responsible assigned despite being offline', () => {
    const d = decide(
      queueOf([1], { responsible: { enabled: true }, availability: { check: false } }),
      [op(1), op(2, { online: false })],
      item('c', { crm: [{ entity: 'company', responsibleId: 2 }] }),
      T0,
    );
    assert.equal(
      explain(d.reason, 'en', nameOf),
      "Assigned to Boris, the client's responsible person (by the company). They are offline, but this queue does not check availability.",
    );
    assert.match(explain(d.reason, 'ru', nameOf), /ответственный за клиента \(по компании\)/);
  });

  it('renders a passed-over responsible and a wait', () => {
    const d = decide(
      queueOf([1], { responsible: { enabled: true } }),
      [op(1, { paused: true }), op(2, { absentUntil: T0 + 1 })],
      item('c', { crm: [{ entity: 'contact', responsibleId: 2 }] }),
      T0,
    );
    assert.equal(
      explain(d.reason, 'en', nameOf),
      "Waiting in the queue: nobody can take it now; it goes to the first operator who can. The client's responsible Boris was passed over: absent. Skipped — unavailable: Anna (paused).",
    );
  });

  it('renders pass-on with a new round', () => {
    const d = passOn(
      queueOf([1, 2], { mode: 'strictly' }),
      [op(1), op(2)],
      { item: item(), holderId: 1, round: [1, 2] },
      T0,
    );
    assert.equal(
      explain(d.reason, 'en', nameOf),
      'Passed on from Anna to Boris: no answer in time (rule "strictly in order": the first available in the queue). A new round started: everyone available had it already.',
    );
  });

  it('renders the unavailable-operator cases', () => {
    const base = {
      id: 1,
      operatorId: 3,
      accepted: true,
      operatorAnswered: true,
      lastMessageFrom: 'operator' as const,
    };
    assert.equal(
      explain(onOperatorUnavailable(base).reason, 'ru', nameOf),
      'Остаётся за оператором (Vera): оператор ответил и ждёт клиента.',
    );
    assert.equal(
      explain(
        onOperatorUnavailable({ ...base, accepted: false, operatorAnswered: false }).reason,
        'en',
        nameOf,
      ),
      'Back to distribution: Vera had not accepted it.',
    );
  });

  it('mentions how many skipped operators were left out', () => {
    const r: Reason = { rule: 'wait', skipped: { at_capacity: [1], unavailable: [], omitted: 12 } };
    assert.match(explain(r, 'en'), /at their limit: #1 and 12 more\.$/);
    assert.match(explain(r, 'ru'), /достигли лимита: #1 и ещё 12\.$/);
  });

  it('has words for every reason an operator can be skipped, in both languages', () => {
    const whys: UnavailableWhy[] = [
      'excluded',
      'unknown',
      'dismissed',
      'absent',
      'manual_pause',
      'offline',
      'paused',
      'workday_closed',
      'outside_hours',
    ];
    for (const lang of ['en', 'ru'] as const) {
      const text = explain(
        { rule: 'wait', skipped: { at_capacity: [], unavailable: whys.map((why, i) => ({ id: i, why })) } },
        lang,
      );
      assert.doesNotMatch(text, /undefined/);
    }
  });
});

describe('explain in Russian: a name never needs declension', () => {
  it('puts every name after a colon, in parentheses, beside an arrow or in a list', () => {
    const name = 'Анна Смирнова';
    const nameOf = () => name;
    const skipped = { at_capacity: [4], unavailable: [{ id: 5, why: 'offline' as const }] };
    const reasons: Reason[] = [
      {
        rule: 'responsible_manager',
        operatorId: 1,
        skipped,
        responsible: { operatorId: 1, entity: 'contact' },
      },
      { rule: 'sticky', operatorId: 1, skipped, sticky: { operatorId: 2, passedOver: 'offline' } },
      ...(['evenly', 'strictly', 'least_loaded', 'weighted'] as const).map((rule) => ({
        rule,
        operatorId: 1,
        skipped,
        responsible: { operatorId: 3, entity: 'company' as const, passedOver: 'absent' as const },
      })),
      { rule: 'pass_on', operatorId: 1, skipped, passOn: { fromId: 2, by: 'evenly', newRound: false } },
      ...(['waiting_client', 'accepted', 'not_accepted'] as const).map((dialog) => ({
        rule: 'stay' as const,
        operatorId: 1,
        skipped,
        dialog,
      })),
      ...(['not_accepted', 'client_unanswered', 'departed'] as const).map((dialog) => ({
        rule: 'redistribute' as const,
        operatorId: 1,
        skipped,
        dialog,
      })),
    ];
    for (const r of reasons) {
      const text = explain(r, 'ru', nameOf);
      assert.ok(text.includes(name), `${r.rule}: names someone (${text})`);
      const pieces = text.split(name);
      const ok = pieces
        .slice(0, -1)
        .every((before, i) => /(: |\(|→ |, )$/.test(before) || /^( →|\)|,)/.test(pieces[i + 1]));
      assert.ok(ok, `${r.rule}/${r.dialog ?? ''}: every name stands undeclined: ${text}`);
    }
  });
});
