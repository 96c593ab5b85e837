import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BatchMerger } from '../../src/portal/batch-merger.ts';
import type { BatchResult, Call, PortalClient } from '../../src/portal/client.ts';

/** A client whose batches wait until released, recording what each carried. */
function heldClient() {
  const sent: Record<string, Call>[] = [];
  const waiting: Array<() => void> = [];
  let fail: Error | null = null;
  const client = {
    memberId: 'm1',
    async batch(calls: Record<string, Call>): Promise<BatchResult> {
      sent.push(calls);
      await new Promise<void>((r) => waiting.push(r));
      if (fail) throw fail;
      const results: Record<string, unknown> = {};
      const errors: BatchResult['errors'] = {};
      for (const [label, [method, params]] of Object.entries(calls)) {
        if (params?.id === 404)
          errors[label] = { error: 'NOT_FOUND', error_description: 'Element not found' };
        else results[label] = { method, params };
      }
      return { results, errors, totals: Object.fromEntries(Object.keys(calls).map((l) => [l, 1])) };
    },
  } as unknown as PortalClient;
  return {
    client,
    sent,
    release: () => {
      for (const r of waiting.splice(0)) r();
    },
    failWith: (e: Error) => {
      fail = e;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('batch merger', () => {
  test('the first set leaves at once; sets asked while it is on its way go out together in the next batch', async () => {
    const h = heldClient();
    const m = new BatchMerger();
    const first = m.batch(h.client, { lead: ['crm.item.get', { id: 1 }] });
    await tick();
    assert.equal(h.sent.length, 1, 'nothing in flight: sent at once');
    const later = [2, 3, 404].map((id) => m.batch(h.client, { lead: ['crm.item.get', { id }] }));
    await tick();
    assert.equal(h.sent.length, 1, 'the others wait for the one in flight');
    h.release();
    assert.deepEqual((await first).results.lead.params, { id: 1 });
    await tick();
    assert.equal(h.sent.length, 2);
    assert.equal(Object.keys(h.sent[1]!).length, 3, 'three reads, one batch');
    h.release();
    const [a, b, gone] = await Promise.all(later);
    assert.deepEqual([a.results.lead.params.id, b.results.lead.params.id], [2, 3]);
    assert.equal(gone.errors.lead?.error, 'NOT_FOUND', 'each set gets its own errors under its own labels');
    assert.equal(gone.results.lead, undefined);
    assert.deepEqual(a.totals, { lead: 1 });
    assert.deepEqual(m.sent, { batches: 2, sets: 4 });
  });

  test("a set's references to its own labels follow the prefix; no more than 50 commands share a batch", async () => {
    const h = heldClient();
    const m = new BatchMerger();
    const hold = m.batch(h.client, { x: ['server.time', {}] });
    const sets = Array.from({ length: 20 }, (_, i) =>
      m.batch(h.client, {
        lead: ['crm.item.get', { id: i }],
        byPhone: [
          'crm.duplicate.findbycomm',
          { values: ['$result[lead][item][phone]', '$result[other][x]'] },
        ],
        byEmail: ['crm.duplicate.findbycomm', { values: ['$result[lead][item][email]'] }],
      }),
    );
    h.release();
    await hold;
    await tick();
    const second = h.sent[1]!;
    assert.equal(Object.keys(second).length, 48, '16 sets of 3 fit in 50');
    const [label, [, params]] = Object.entries(second).find(([l]) => l.endsWith('_byPhone'))!;
    const prefix = label.slice(0, -'byPhone'.length);
    assert.deepEqual(params!.values, [`$result[${prefix}lead][item][phone]`, '$result[other][x]']);
    h.release();
    await tick();
    assert.equal(Object.keys(h.sent[2]!).length, 12, 'the other 4 sets next');
    h.release();
    assert.equal((await Promise.all(sets)).length, 20);
  });

  test('a batch that fails fails every set it carried, and the lane goes on', async () => {
    const h = heldClient();
    const m = new BatchMerger();
    const hold = m.batch(h.client, { x: ['server.time', {}] });
    const a = m.batch(h.client, { lead: ['crm.item.get', { id: 1 }] });
    const b = m.batch(h.client, { lead: ['crm.item.get', { id: 2 }] });
    h.release();
    await hold;
    await tick();
    h.failWith(new Error('socket hang up'));
    h.release();
    await assert.rejects(a, /socket hang up/);
    await assert.rejects(b, /socket hang up/);
  });
});
