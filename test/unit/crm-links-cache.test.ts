import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLogger } from '../../src/log/logger.ts';
import { CrmLinks } from '../../src/openlines/crm-links.ts';
import type { BatchResult, Call, PortalClient } from '../../src/portal/client.ts';

/** A portal whose every lead is held by operator 7, created long ago. */
const client = {
  memberId: 'm1',
  async batch(calls: Record<string, Call>): Promise<BatchResult> {
    const results: Record<string, unknown> = {};
    for (const [label, [, p]] of Object.entries(calls))
      results[label] = { item: { id: p?.id, assignedById: 7, createdTime: '2020-01-01T00:00:00+03:00' } };
    return { results, errors: {} };
  },
} as unknown as PortalClient;

describe('CRM links cache', () => {
  test('answers past their time are dropped once the cache has grown, instead of one entry per dialog for ever', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const links = new CrmLinks({ clock: () => now, log: createLogger('silent'), ttlMs: 60_000 });
    const ask = (id: number) =>
      links.linksFor('m1', client, { LEAD: id, CONTACT: 0, COMPANY: 0, DEAL: 0 }, ['lead'], now);
    for (let id = 1; id <= 600; id++) assert.deepEqual(await ask(id), [{ entity: 'lead', responsibleId: 7 }]);
    assert.equal(links.size, 600, 'within their time, answers are kept');
    now += 61_000;
    await ask(601);
    assert.equal(links.size, 1, 'the 600 expired ones went with the next read');
    assert.deepEqual(await ask(5), [{ entity: 'lead', responsibleId: 7 }], 'and are read again when asked');
  });
});
