import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';

test('npm run demo starts, installs, assigns dialogs and stops cleanly on Ctrl-C', async () => {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/demo/main.ts', '--port', '0', '--portal-port', '0', '--rate', '120', '--fast'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'error' } },
  );
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
  });
  child.stderr.on('data', (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    // The status line comes every 10 s; wait for one that reports assignments.
    const deadline = Date.now() + 60_000;
    while (!/[1-9]\d* assignments/.test(out)) {
      if (Date.now() > deadline || child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.match(out, /Open the app as the portal shows it: +http:\/\/127\.0\.0\.1:\d+\/emulator\/app\?/);
    assert.match(out, /[1-9]\d* assignments/, out);
    child.kill('SIGINT');
    assert.equal(await exited, 0, out);
    assert.match(out, /stopped cleanly/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
