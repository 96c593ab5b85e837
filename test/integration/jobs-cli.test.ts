import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../../src/db/migrate.ts';
import { JobRepository } from '../../src/db/repositories/jobs.ts';
import { SqliteInstallationStore } from '../../src/db/repositories/installations.ts';
import { JOB_NAMES } from '../../src/jobs/types.ts';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET } from '../helpers/context.ts';
import { dropStore, freshStoreEnv, openStoreOf, type StoreEnv } from '../helpers/store.ts';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run job -- …` as an operator or an external scheduler runs it: a process of its own. */
function job(args: string[], env: Record<string, string>): Promise<Outcome> {
  // Only what the CLI needs: nothing of this test process (node:test's markers included) leaks in.
  const childEnv = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/cli/job.ts', ...args],
      { env: childEnv, cwd: process.cwd(), timeout: 60_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('npm run job', () => {
  let dir: string;
  let store: StoreEnv;
  let env: Record<string, string>;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'b24d-cli-'));
    store = freshStoreEnv(dir);
    env = {
      B24_CLIENT_ID: TEST_CLIENT_ID,
      B24_CLIENT_SECRET: TEST_CLIENT_SECRET,
      ...store,
      B24_ALLOW_HTTP: '1',
      LOG_LEVEL: 'info',
    };
  });
  after(async () => {
    rmSync(dir, { recursive: true, force: true });
    await dropStore(store);
  });

  test('runs a job and prints exactly one JSON summary line; logs go to stderr', async () => {
    const r = await job(['offline-events'], env);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.equal(lines.length, 1, r.stdout);
    const s = JSON.parse(lines[0]);
    assert.equal(s.job, 'offline-events');
    assert.equal(s.status, 'ok');
    assert.equal(s.dryRun, false);
    assert.deepEqual(s.portals, {});
    assert.deepEqual(s.totals, {});
    for (const k of ['now', 'startedAt', 'finishedAt']) assert.ok(!Number.isNaN(Date.parse(s[k])), k);
    assert.match(r.stderr, /job finished/, 'the logs are on stderr');
  });

  test('--now and --dry-run show in the summary', async () => {
    const r = await job(['offline-events', '--dry-run', '--now', '2030-05-01T10:00:00+02:00'], env);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.dryRun, true);
    assert.equal(s.now, '2030-05-01T08:00:00.000Z');
  });

  test('an unknown job exits 2 with a usage message naming the valid jobs, and prints no summary', async () => {
    const r = await job(['defragment'], env);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /unknown job "defragment"/);
    assert.match(r.stderr, /usage: npm run job/);
    for (const name of JOB_NAMES) assert.ok(r.stderr.includes(name), name);
  });

  test('a bad --now, a missing job name or an unknown portal exit 2', async () => {
    let r = await job(['offline-events', '--now', '2025-02-30T00:00:00Z'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--now/);
    r = await job([], env);
    assert.equal(r.code, 2);
    r = await job(['offline-events', '--portal', 'no-such-portal'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /portal "no-such-portal" is not installed/);
    assert.equal(r.stdout, '');
  });

  test("a portal's failure exits 1, still with one JSON line, and is journaled", async () => {
    mkdirSync(join(dir, 'down'));
    const down = freshStoreEnv(join(dir, 'down'));
    const db = await openStoreOf(down);
    await migrate(db);
    await new SqliteInstallationStore(db).saveInstall(
      {
        memberId: 'm-down',
        domain: 'down.bitrix24.test',
        // nothing listens on the discard port: every call fails at once
        clientEndpoint: 'http://127.0.0.1:9/rest/',
        serverEndpoint: 'http://127.0.0.1:9/rest/',
        accessToken: 'at',
        refreshToken: 'rt',
        expiresAt: Math.floor(Date.now() / 1000) + 3600,
        applicationToken: 'app-token',
        scope: ['crm'],
        planStatus: 'F',
        ratePlan: 'standard',
        userId: 1,
        language: 'en',
      },
      new Date(),
    );
    try {
      const r = await job(['offline-events'], { ...env, ...down, LOG_LEVEL: 'silent' });
      assert.equal(r.code, 1, r.stderr);
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1);
      const s = JSON.parse(lines[0]);
      assert.equal(s.status, 'failed');
      assert.match(s.portals['m-down'].error, /ECONNREFUSED|fetch failed|network/i);
      const [row] = await new JobRepository(db).recentRuns({ memberId: 'm-down' });
      assert.equal(row.job, 'offline-events');
      assert.equal(row.status, 'failed');
    } finally {
      await db.close();
      await dropStore(down);
    }
  });

  test('a bad configuration exits 1 with one message naming the variables', async () => {
    const { B24_CLIENT_ID: _, ...rest } = env;
    const r = await job(['offline-events'], { ...rest, B24_ALLOW_HTTP: 'yes' });
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /B24_CLIENT_ID/);
    assert.match(r.stderr, /B24_ALLOW_HTTP/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });
});
