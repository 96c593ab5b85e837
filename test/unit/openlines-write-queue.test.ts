import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { WriteQueue } from '../../src/openlines/write-queue.ts';
import type { Call, PortalClient } from '../../src/portal/client.ts';

/** A client whose batch answers every command at once and records each request's size. */
function recorder(o: { fail?: (method: string, params: any) => string | undefined; throwOnce?: Error } = {}) {
  const sizes: number[] = [];
  let throwOnce = o.throwOnce;
  const client = {
    memberId: 'm',
    async batch(calls: Record<string, Call>) {
      if (throwOnce) {
        const e = throwOnce;
        throwOnce = undefined;
        throw e;
      }
      sizes.push(Object.keys(calls).length);
      const out = { results: {} as Record<string, unknown>, errors: {} as Record<string, any> };
      for (const [label, [method, params]] of Object.entries(calls)) {
        const err = o.fail?.(method, params);
        if (err) out.errors[label] = { error: err, error_description: err };
        else out.results[label] = true;
      }
      return out;
    },
  } as unknown as PortalClient;
  return { sizes, clients: { get: async () => client, forget() {} } };
}

describe('WriteQueue', () => {
  test('commands due together share one batch request; each gets its own answer', async () => {
    const r = recorder({ fail: (_m, p) => (p.CHAT_ID === 2 ? 'OPERATOR_WRONG' : undefined) });
    const q = new WriteQueue({ clients: r.clients, windowMs: 5 });
    const outs = await Promise.all(
      [1, 2, 3].map((chat) =>
        q.submit('m', { method: 'imopenlines.bot.session.transfer', params: { CHAT_ID: chat } }),
      ),
    );
    assert.deepEqual(r.sizes, [3]);
    assert.deepEqual(
      outs.map((o) => o.ok),
      [true, false, true],
    );
    assert.equal(outs[1].ok === false && outs[1].error, 'OPERATOR_WRONG');
    assert.equal(outs[1].ok === false && outs[1].retryable, false);
  });

  test('never more than 50 commands in a request', async () => {
    const r = recorder();
    const q = new WriteQueue({
      clients: r.clients,
      windowMs: 5,
      budget: () => ({ burst: 1e6, perSec: 1e6 }),
    });
    await Promise.all(Array.from({ length: 120 }, (_, i) => q.submit('m', { method: 'x', params: { i } })));
    assert.equal(
      r.sizes.reduce((a, b) => a + b, 0),
      120,
    );
    assert.ok(r.sizes.every((s) => s <= 50));
    assert.ok(r.sizes.length <= 4, `${r.sizes}`);
  });

  test('once its eager share of the burst is spent, a trickle is gathered into fuller batches', async () => {
    const r = recorder();
    const q = new WriteQueue({ clients: r.clients, windowMs: 1, budget: () => ({ burst: 10, perSec: 20 }) });
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 60; i++) {
      all.push(q.submit('m', { method: 'x', params: { i } }));
      await new Promise((res) => setTimeout(res, 3));
    }
    await Promise.all(all);
    await q.idle();
    // Five eager requests (half the burst) of about one command, then ones that waited for company.
    assert.ok(r.sizes.length < 40, `${r.sizes.length} requests for 60 trickled commands: ${r.sizes}`);
    assert.ok(Math.max(...r.sizes) > 2, `${r.sizes}`);
  });

  test('a failed request answers every command as retryable', async () => {
    const r = recorder({ throwOnce: new Error('socket hang up') });
    const q = new WriteQueue({ clients: r.clients, windowMs: 1 });
    const out = await q.submit('m', { method: 'x', params: {} });
    assert.equal(out.ok, false);
    assert.equal(out.ok === false && out.retryable, true);
    assert.equal((await q.submit('m', { method: 'x', params: {} })).ok, true);
  });
});
