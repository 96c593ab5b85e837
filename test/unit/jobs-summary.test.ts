import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitCodeFor, runStatus, sumTotals } from '../../src/jobs/summary.ts';

test('totals sum every numeric field and ignore the rest', () => {
  assert.deepEqual(
    sumTotals([{ moved: 2, closed: 1, note: 'x', dry: true, list: [1, 2] }, { moved: 3, skipped: 4 }, {}]),
    { moved: 5, closed: 1, skipped: 4 },
  );
  assert.deepEqual(sumTotals([]), {});
  assert.deepEqual(sumTotals([{ n: Number.NaN }, { n: 1 }]), { n: 1 });
});

test("a run's status follows its portals'", () => {
  assert.equal(runStatus([]), 'ok', 'no portal: nothing to do is success');
  assert.equal(runStatus(['ok', 'ok']), 'ok');
  assert.equal(runStatus(['ok', 'failed']), 'partial');
  assert.equal(runStatus(['ok', 'skipped']), 'partial');
  assert.equal(runStatus(['failed', 'failed']), 'failed');
  assert.equal(runStatus(['failed', 'skipped']), 'failed');
  assert.equal(runStatus(['skipped']), 'skipped');
});

test('only ok and skipped runs exit 0', () => {
  assert.equal(exitCodeFor('ok'), 0);
  assert.equal(exitCodeFor('skipped'), 0);
  assert.equal(exitCodeFor('partial'), 1);
  assert.equal(exitCodeFor('failed'), 1);
});
