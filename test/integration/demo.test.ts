import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';

function demo(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/demo/main.ts', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const o = { out: '' };
  child.stdout.on('data', (d) => {
    o.out += d;
  });
  child.stderr.on('data', (d) => {
    o.out += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, o, exited };
}

describe('npm run demo', () => {
  test('starts, installs, assigns dialogs, says so in words, and stops on Ctrl-C', async () => {
    const { child, o, exited } = demo([
      '--port',
      '0',
      '--portal-port',
      '0',
      '--rate',
      '120',
      '--fast',
      '--lang',
      'en',
    ]);
    try {
      // The status line comes every 10 s; wait for one that reports dialogs with operators.
      const deadline = Date.now() + 60_000;
      const assigned =
        /dialogs: [1-9]\d* started, (?:[1-9]\d* with an operator|\d+ with an operator, \d+ waiting, [1-9]\d* closed)/;
      const story = /a new lead "Tim Waiting": nobody will contact the client/;
      // The story's first beat (src/demo/story.ts, at 12 s): a deal, distributed like a lead.
      const deal = /a new deal: the app distributes it like a lead/;
      while (!assigned.test(o.out) || !story.test(o.out) || !deal.test(o.out)) {
        if (Date.now() > deadline || child.exitCode !== null) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      assert.match(o.out, /Open the app as the portal shows it: +http:\/\/127\.0\.0\.1:\d+\/emulator\/app\?/);
      assert.match(o.out, assigned, o.out);
      // The speed-to-lead story starts (its misses follow after one and two minutes; see the README).
      assert.match(o.out, story, o.out);
      assert.match(o.out, deal, o.out);
      assert.match(
        o.out,
        /leads: \d+ in all, \d+ assigned by the app, \d+ left with whoever had them, \d+ waiting/,
      );
      assert.ok(!/^\{"level"/m.test(o.out), 'no raw JSON log line on the console');
      child.kill('SIGINT');
      assert.equal(await exited, 0, o.out);
      assert.match(o.out, /\[demo\] stopped\./);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('an unknown flag or a bad value gets one line that names it, and the usage', async () => {
    const a = demo(['--rates', '5']);
    assert.equal(await a.exited, 2);
    assert.match(a.o.out, /npm run demo: Unknown option '--rates'/);
    assert.match(a.o.out, /--busy/);
    const b = demo(['--port', 'abc', '--lang', 'de']);
    assert.equal(await b.exited, 2);
    assert.match(
      b.o.out,
      /--port must be a number from 0 to 65535, not "abc"; --lang must be ru or en, not "de"/,
    );
  });

  test('a port in use is said in words, with what to do', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const d = demo(['--port', String(port), '--portal-port', '0']);
      assert.equal(await d.exited, 1);
      assert.match(
        d.o.out,
        new RegExp(`port ${port} \\(the app\\) is already in use: .* --port 0 for any free port`),
      );
    } finally {
      blocker.close();
    }
  });
});
