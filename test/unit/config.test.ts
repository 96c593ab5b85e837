import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/index.ts';

const good = { B24_CLIENT_ID: 'id', B24_CLIENT_SECRET: 'secret' };

test('defaults follow CONTRACT.md', () => {
  const c = loadConfig(good);
  assert.equal(c.port, 3000);
  assert.equal(c.publicUrl, 'http://localhost:3000');
  assert.equal(c.oauthServer, 'https://oauth.bitrix.info');
  assert.equal(c.databasePath, './data/app.sqlite');
  assert.equal(c.allowHttp, false);
  assert.equal(c.logLevel, 'info');
  assert.equal(c.reclaimHour, 3);
  assert.deepEqual(c.retentionDays, { events: 14, deadEvents: 60, dialogs: 180, log: 365 });
});

test('the reclaim hour and the retention periods are read, and bad ones named', () => {
  const c = loadConfig({ ...good, RECLAIM_HOUR: '0', RETENTION_EVENTS_DAYS: '30', RETENTION_LOG_DAYS: '90' });
  assert.equal(c.reclaimHour, 0);
  assert.deepEqual(c.retentionDays, { events: 30, deadEvents: 60, dialogs: 180, log: 90 });
  assert.throws(
    () =>
      loadConfig({ ...good, RECLAIM_HOUR: '24', RETENTION_EVENTS_DAYS: '0', RETENTION_DIALOGS_DAYS: '1.5' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.problems, [
        'RECLAIM_HOUR must be an hour from 0 to 23',
        'RETENTION_EVENTS_DAYS must be a whole number of days from 1 to 3650',
        'RETENTION_DIALOGS_DAYS must be a whole number of days from 1 to 3650',
      ]);
      return true;
    },
  );
});

test('PUBLIC_URL defaults to the port and loses its trailing slash', () => {
  assert.equal(loadConfig({ ...good, PORT: '8080' }).publicUrl, 'http://localhost:8080');
  assert.equal(
    loadConfig({ ...good, PUBLIC_URL: 'https://app.example.com/' }).publicUrl,
    'https://app.example.com',
  );
});

test('one error names every offending variable', () => {
  assert.throws(
    () =>
      loadConfig({ PORT: '70000', B24_ALLOW_HTTP: 'yes', LOG_LEVEL: 'loud', B24_OAUTH_SERVER: 'not a url' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      for (const name of [
        'PORT',
        'B24_CLIENT_ID',
        'B24_CLIENT_SECRET',
        'B24_ALLOW_HTTP',
        'LOG_LEVEL',
        'B24_OAUTH_SERVER',
      ]) {
        assert.match(err.message, new RegExp(`\\b${name}\\b`), `${name} is named`);
      }
      assert.equal(err.problems.length, 6);
      return true;
    },
  );
});

test('npm start with a bad environment prints one message and exits non-zero', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { PATH: process.env.PATH, PORT: 'x' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.equal(r.status, 1);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /PORT .*B24_CLIENT_ID .*B24_CLIENT_SECRET/);
});
