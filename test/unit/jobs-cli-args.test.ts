import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInstant, parseJobArgs, UsageError, usage } from '../../src/cli/job-args.ts';
import { JOB_NAMES } from '../../src/jobs/types.ts';

test('a job name with its options', () => {
  assert.deepEqual(parseJobArgs(['close-idle']), { name: 'close-idle', dryRun: false });
  assert.deepEqual(parseJobArgs(['sync', '--portal', 'abc', '--now', '2025-03-01T09:00:00Z', '--dry-run']), {
    name: 'sync',
    portal: 'abc',
    now: Date.UTC(2025, 2, 1, 9),
    dryRun: true,
  });
  assert.deepEqual(parseJobArgs(['--dry-run', '--portal=m1', 'pass-on']), {
    name: 'pass-on',
    portal: 'm1',
    dryRun: true,
  });
  assert.equal(parseJobArgs(['--help']), 'help');
});

test('bad usage is a UsageError that says what is wrong', () => {
  const cases: [string[], RegExp][] = [
    [[], /which job/],
    [['nope'], /unknown job "nope".*sync, pass-on, reclaim-departed, close-idle, offline-events/],
    [['sync', 'pass-on'], /one job at a time/],
    [['sync', '--portal'], /portal/],
    [['sync', '--portal', ''], /member_id/],
    [['sync', '--bogus'], /bogus/],
    [['sync', '--now'], /now/],
    [['sync', '--now', 'yesterday'], /ISO-8601/],
  ];
  for (const [argv, msg] of cases) {
    assert.throws(
      () => parseJobArgs(argv),
      (err: unknown) => err instanceof UsageError && msg.test(err.message),
    );
  }
});

test('the usage text names every job', () => {
  for (const name of JOB_NAMES) assert.match(usage(), new RegExp(`\\b${name}\\b`));
});

test('--now takes ISO-8601 instants with a zone', () => {
  assert.equal(parseInstant('2025-03-01T09:00:00Z'), Date.UTC(2025, 2, 1, 9, 0, 0));
  assert.equal(parseInstant('2025-03-01T09:00Z'), Date.UTC(2025, 2, 1, 9, 0, 0));
  assert.equal(parseInstant('2025-03-01T09:00:00.250Z'), Date.UTC(2025, 2, 1, 9, 0, 0, 250));
  assert.equal(parseInstant('2025-03-01T12:00:00+03:00'), Date.UTC(2025, 2, 1, 9));
  assert.equal(parseInstant('2025-03-01T04:30:00-0430'), Date.UTC(2025, 2, 1, 9));
  assert.equal(parseInstant('2024-02-29T00:00:00Z'), Date.UTC(2024, 1, 29));
});

test('--now refuses what is not one instant', () => {
  for (const bad of [
    '2025-03-01', // a day, not an instant
    '2025-03-01T09:00:00', // no zone: depends on the machine
    '2025-02-29T00:00:00Z', // no such day
    '2025-04-31T00:00:00Z',
    '2025-13-01T00:00:00Z',
    '2025-03-01T24:00:00Z',
    '2025-03-01T09:60:00Z',
    '1740819600000',
    'now',
    '',
  ]) {
    assert.throws(() => parseInstant(bad), UsageError, bad);
  }
});
