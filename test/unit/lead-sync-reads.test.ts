import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { scopeKey, shiftIso } from '../../src/crm/lead-sync-reads.ts';

describe('lead sync reads', () => {
  test('the mark is moved in the portal’s own offset, across a day boundary too', () => {
    assert.equal(shiftIso('2024-07-18T12:32:31+03:00', -60_000), '2024-07-18T12:31:31+03:00');
    assert.equal(shiftIso('2024-07-18T00:00:30+03:00', -60_000), '2024-07-17T23:59:30+03:00');
    assert.equal(shiftIso('2024-07-18T00:00:30-05:30', -60_000), '2024-07-17T23:59:30-05:30');
    assert.equal(shiftIso('2024-07-18T10:00:00Z', -60_000), '2024-07-18T09:59:00+00:00');
    assert.throws(() => shiftIso('yesterday', 0), /not a date/);
  });

  test('the scope does not depend on order or repeats, and changes with members or statuses', () => {
    const a = scopeKey({ members: [3, 2, 3], statuses: ['NEW', 'IN_PROCESS'] });
    assert.equal(a, scopeKey({ members: [2, 3], statuses: ['IN_PROCESS', 'NEW'] }));
    assert.notEqual(a, scopeKey({ members: [2, 3, 4], statuses: ['IN_PROCESS', 'NEW'] }));
    assert.notEqual(a, scopeKey({ members: [2, 3], statuses: ['NEW'] }));
  });
});
