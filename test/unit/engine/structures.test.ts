import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BitSet, SlotHeap, TimeHeap } from '../../../src/engine/structures.ts';

describe('BitSet', () => {
  it('next() finds the first set bit at or after i, like a sorted set would', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40_000 })), { maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 41_000 }), { maxLength: 30 }),
        (ops, probes) => {
          const bits = new BitSet(64); // starts small so growth is exercised
          const model = new Set<number>();
          for (const [add, i] of ops) {
            if (add) {
              bits.add(i);
              model.add(i);
            } else {
              bits.delete(i);
              model.delete(i);
            }
          }
          const sorted = [...model].sort((a, b) => a - b);
          for (const p of [0, ...probes]) {
            assert.equal(bits.next(p), sorted.find((x) => x >= p) ?? -1, `next(${p})`);
            assert.equal(bits.has(p), model.has(p));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('SlotHeap', () => {
  it('peek() is always the smallest key while keys change and slots come and go', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom('push', 'remove', 'rekey'), fc.nat(30), fc.integer({ min: -50, max: 50 })),
          {
            maxLength: 200,
          },
        ),
        (ops) => {
          const key: number[] = [];
          const heap = new SlotHeap((a, b) => key[a] < key[b] || (key[a] === key[b] && a < b));
          const inHeap = new Set<number>();
          for (const [op, slot, k] of ops) {
            if (op === 'push') {
              key[slot] = k;
              heap.push(slot);
              inHeap.add(slot);
            } else if (op === 'remove') {
              heap.remove(slot);
              inHeap.delete(slot);
            } else if (inHeap.has(slot)) {
              key[slot] = k;
              heap.update(slot);
            }
            const want = [...inHeap].sort((a, b) => key[a] - key[b] || a - b)[0] ?? -1;
            assert.equal(heap.peek(), want);
            assert.equal(heap.size, inHeap.size);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('TimeHeap', () => {
  it('pops in time order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 100 }), (times) => {
        const heap = new TimeHeap();
        times.forEach((t, slot) => {
          heap.push(t, slot);
        });
        const out: number[] = [];
        while (heap.size > 0) {
          const t = heap.minTime();
          const slot = heap.pop();
          assert.equal(times[slot], t);
          out.push(t);
        }
        assert.deepEqual(
          out,
          [...times].sort((a, b) => a - b),
        );
        assert.equal(heap.minTime(), Number.POSITIVE_INFINITY);
      }),
      { numRuns: 200 },
    );
  });
});
