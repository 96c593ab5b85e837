import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultRules, type LineConfig, queueRulesSchema, rulesFromLine } from '../../../src/engine/index.ts';
import { like, rules } from './fixtures.ts';

describe('queueRulesSchema / defaultRules', () => {
  it('defaults: evenly, unlimited, availability checked, CRM routing and sticky off', () => {
    like(defaultRules(), {
      mode: 'evenly',
      queue: [],
      passOnAfterSec: 60,
      capacity: { limit: null, counts: 'all_open' },
      availability: { check: true, requireOnline: true, useTimeTracking: true, useSchedules: true },
      responsible: { enabled: false, precedence: ['contact', 'company', 'lead'] },
      sticky: { enabled: false },
    });
    assert.deepEqual(queueRulesSchema.parse(defaultRules()), defaultRules());
  });

  it('fills member defaults', () => {
    assert.deepEqual(rules({ queue: [{ id: 5 }] }).queue, [{ id: 5, weight: 1, autoAssign: true }]);
  });

  const bad: [string, unknown][] = [
    ['unknown mode', { mode: 'random' }],
    ['duplicate member', { queue: [{ id: 1 }, { id: 1 }] }],
    ['zero weight', { queue: [{ id: 1, weight: 0 }] }],
    ['fractional weight', { queue: [{ id: 1, weight: 1.5 }] }],
    ['negative limit', { capacity: { limit: -1 } }],
    ['limit above the portal ceiling', { capacity: { limit: 1001 } }],
    ['unknown counting', { capacity: { counts: 'some' } }],
    ['duplicate precedence', { responsible: { precedence: ['contact', 'contact'] } }],
    ['empty precedence', { responsible: { precedence: [] } }],
    ['non-integer id', { queue: [{ id: 'x' }] }],
  ];
  for (const [name, input] of bad) {
    it(`rejects: ${name}`, () => assert.equal(queueRulesSchema.safeParse(input).success, false));
  }
});

describe('rulesFromLine', () => {
  const rows: { name: string; line: LineConfig; expect: Record<string, unknown> }[] = [
    { name: 'QUEUE_TYPE evenly', line: { QUEUE_TYPE: 'evenly' }, expect: { mode: 'evenly' } },
    { name: 'QUEUE_TYPE strictly', line: { QUEUE_TYPE: 'strictly' }, expect: { mode: 'strictly' } },
    { name: 'QUEUE_TYPE all', line: { QUEUE_TYPE: 'all' }, expect: { mode: 'all' } },
    { name: 'QUEUE_TIME seconds', line: { QUEUE_TIME: '180' }, expect: { passOnAfterSec: 180 } },
    { name: 'QUEUE_TIME 0 = never pass on', line: { QUEUE_TIME: '0' }, expect: { passOnAfterSec: null } },
    { name: 'MAX_CHAT 0 = unlimited', line: { MAX_CHAT: '0' }, expect: { capacity: { limit: null } } },
    { name: 'MAX_CHAT n', line: { MAX_CHAT: '5' }, expect: { capacity: { limit: 5 } } },
    {
      name: 'MAX_CHAT above the portal ceiling is capped',
      line: { MAX_CHAT: 5000 },
      expect: { capacity: { limit: 1000 } },
    },
    {
      name: 'TYPE_MAX_CHAT closed → all open',
      line: { TYPE_MAX_CHAT: 'closed' },
      expect: { capacity: { counts: 'all_open' } },
    },
    {
      // imopenlines-config-add.md: "consider only dialogues where the operator has already responded"
      name: 'TYPE_MAX_CHAT answered → only answered dialogs',
      line: { TYPE_MAX_CHAT: 'answered' },
      expect: { capacity: { counts: 'answered_only' } },
    },
    {
      // imopenlines-config-add.md: "consider dialogues with a response and new dialogues"
      name: 'TYPE_MAX_CHAT answered_new → every open dialog',
      line: { TYPE_MAX_CHAT: 'answered_new' },
      expect: { capacity: { counts: 'all_open' } },
    },
    { name: 'CHECK_AVAILABLE N', line: { CHECK_AVAILABLE: 'N' }, expect: { availability: { check: false } } },
    { name: 'CHECK_AVAILABLE Y', line: { CHECK_AVAILABLE: 'Y' }, expect: { availability: { check: true } } },
    { name: 'CRM_FORWARD Y', line: { CRM_FORWARD: 'Y' }, expect: { responsible: { enabled: true } } },
    { name: 'CRM_FORWARD N', line: { CRM_FORWARD: 'N' }, expect: { responsible: { enabled: false } } },
    {
      name: 'CRM N switches forwarding off',
      line: { CRM: 'N', CRM_FORWARD: 'Y' },
      expect: { responsible: { enabled: false } },
    },
    {
      name: 'QUEUE ids become members in order, duplicates and junk dropped',
      line: { QUEUE: ['7', 3, '7', 'x', '-1', '9'] },
      expect: {
        queue: [
          { id: 7, weight: 1, autoAssign: true },
          { id: 3, weight: 1, autoAssign: true },
          { id: 9, weight: 1, autoAssign: true },
        ],
      },
    },
  ];
  for (const row of rows) {
    it(row.name, () => {
      const r = rulesFromLine(row.line);
      like(r, row.expect);
      assert.equal(queueRulesSchema.safeParse(r).success, true, 'the result is valid rules');
    });
  }

  it('keeps app-only settings and per-member overrides from the base', () => {
    const base = rules({
      mode: 'least_loaded',
      sticky: { enabled: true },
      queue: [
        { id: 3, limit: 2, weight: 4 },
        { id: 8, autoAssign: false },
      ],
    });
    const r = rulesFromLine({ QUEUE: ['8', '3', '11'], MAX_CHAT: '6' }, base);
    like(r, {
      mode: 'least_loaded',
      sticky: { enabled: true },
      capacity: { limit: 6 },
      queue: [
        { id: 8, weight: 1, autoAssign: false },
        { id: 3, limit: 2, weight: 4, autoAssign: true },
        { id: 11, weight: 1, autoAssign: true },
      ],
    });
    assert.equal(base.capacity.limit, null, 'the base is not changed');
  });

  it('an unknown QUEUE_TYPE keeps the base mode', () => {
    assert.equal(rulesFromLine({ QUEUE_TYPE: 'lottery' }).mode, 'evenly');
  });
});
