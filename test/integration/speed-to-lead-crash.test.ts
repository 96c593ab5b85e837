// Named to sort away from exactly-once.test.ts: both kill child processes, and with two test files
// at a time they would run side by side and slow each other's restarts.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { afterEach, describe, test } from 'node:test';
import type { PortalSeed } from 'b24-emulator';
import { DialogRepository } from '../../src/db/repositories/dialogs.ts';
import { runnerFor } from '../../src/jobs/feature.ts';
import { leadSettingsSchema, lineSettingsSchema } from '../../src/settings/schema.ts';
import { TEST_CLIENT_ID, TEST_CLIENT_SECRET, waitFor } from '../helpers/context.ts';
import { type Stack, startStack } from '../helpers/emulator.ts';

/** Admin 1, operators 2–4. */
const SEED: PortalSeed = {
  departments: [{ id: 1, name: 'Company', parent: null, headId: 1 }],
  users: [
    { id: 1, name: 'Anna', lastName: 'Admin', admin: true },
    { id: 2, name: 'Boris', lastName: 'Ivanov' },
    { id: 3, name: 'Vera', lastName: 'Petrova' },
    { id: 4, name: 'Gleb', lastName: 'Sokolov' },
  ],
};
const MIN = 60_000;

const open: Stack[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  for (const s of open.splice(0)) await s.close();
});

/** `npm run job -- pass-on --now …` in a process of its own, on the test app's store. */
function passOnProcess(
  s: Stack,
  at: number,
  extra: string[] = [],
): { child: ChildProcess; done: Promise<number | null>; out: { text: string } } {
  const cfg = s.app.ctx.config;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/job.ts',
      'pass-on',
      '--portal',
      s.emu.memberId,
      '--now',
      new Date(at).toISOString(),
      ...extra,
    ],
    {
      stdio: ['ignore', 'pipe', process.env.CHILD_LOG_LEVEL ? 'inherit' : 'ignore'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        B24_CLIENT_ID: TEST_CLIENT_ID,
        B24_CLIENT_SECRET: TEST_CLIENT_SECRET,
        B24_OAUTH_SERVER: s.emu.url,
        B24_ALLOW_HTTP: '1',
        DATABASE_PATH: cfg.databasePath,
        ...(cfg.databaseUrl ? { DATABASE_URL: cfg.databaseUrl } : {}),
        ...(cfg.databaseSchema ? { DATABASE_SCHEMA: cfg.databaseSchema } : {}),
        LOG_LEVEL: process.env.CHILD_LOG_LEVEL ?? 'silent',
      },
    },
  );
  children.push(child);
  // Its one JSON summary line, to say why when a run fails.
  const out = { text: '' };
  child.stdout?.on('data', (d) => {
    out.text += d;
  });
  return { child, out, done: new Promise((r) => child.once('exit', (code) => r(code))) };
}

async function placedLead(): Promise<{ s: Stack; id: number; t0: number }> {
  const s = await startStack({ emulator: { seed: SEED, language: 'en' } });
  open.push(s);
  await s.app.ctx.settings.write(
    s.emu.memberId,
    'leads',
    leadSettingsSchema,
    {
      rules: { mode: 'strictly', queue: [{ id: 2 }, { id: 3 }, { id: 4 }] },
      firstTouch: { enabled: true, minutes: 15, onBreach: 'reassign' },
    },
    null,
  );
  const id = s.emu.sim.addLead({ title: 'Call me', name: 'Olga' });
  await waitFor(
    async () =>
      (await s.app.ctx.db.get<{ phase: string }>('SELECT phase FROM leads WHERE lead_id = ?', [id]))
        ?.phase === 'done',
  );
  const t0 = Date.now();
  // The watch starts on a run at the lead's placement.
  await runnerFor(s.app.ctx).run('pass-on', { portal: s.emu.memberId, now: t0 });
  return { s, id, t0 };
}

/**
 * The killed run's job lease stays until it expires (a minute): the time a real restart waits.
 * The test lets that minute pass in the store instead of on the wall clock.
 */
async function leaseRunsOut(s: Stack): Promise<void> {
  await s.app.ctx.db.run("UPDATE job_leases SET expires_at = 0 WHERE name = 'pass-on'");
}

/** The portal's events (the lead update the held write caused) handled by the app first: the job's drain finds none. */
async function settled(s: Stack): Promise<void> {
  let quiet = 0;
  await waitFor(async () => {
    await s.emu.idle();
    const busy = (await s.app.ctx.inbox.list({ memberId: s.emu.memberId })).some(
      (r) => r.state === 'pending' || r.state === 'processing',
    );
    quiet = busy ? 0 : quiet + 1;
    return quiet >= 2;
  }, 'the app to settle');
}

const visible = (s: Stack, userId: number) => s.emu.sim.notificationsFor(userId).length;
const updates = (s: Stack) => s.emu.calls.filter((c) => c.method === 'crm.item.update').length;
const passedOnComments = (s: Stack, id: number) =>
  [...s.emu.state.crm.comments.values()].filter((c) => c.entityId === id && /Passed on/.test(c.comment))
    .length;

describe('first touch: a pass-on process killed with a write on the wire', () => {
  test('killed while the reassignment is at the portal: the next run reads back, nothing twice', async () => {
    const { s, id, t0 } = await placedLead();
    const at = t0 + 16 * MIN;
    const placed = updates(s);
    const held = s.emu.holdAnswers((m, p) => m === 'batch' && JSON.stringify(p).includes('crm.item.update'));
    const run = passOnProcess(s, at);
    await held.arrived;
    run.child.kill('SIGKILL');
    await run.done;
    held.release();
    await leaseRunsOut(s);
    assert.equal(s.emu.state.crm.leads.get(id)!.assignedById, 3, 'the portal carried the write out');
    assert.equal(s.emu.state.notifications.length, 0, 'killed before any notification');

    await settled(s);
    const again = passOnProcess(s, at);
    assert.equal(await again.done, 0, again.out.text);
    assert.equal(updates(s), placed + 1, 'the update was not sent again');
    assert.equal(passedOnComments(s, id), 1, 'one comment');
    assert.equal(visible(s, 3), 1);
    assert.equal(visible(s, 2), 1);
    assert.equal(s.emu.state.notifications.length, 2, 'each sent once');
  });

  test('killed while the notifications are at the portal: resent under their tags, each person sees one', async () => {
    const { s, id, t0 } = await placedLead();
    const at = t0 + 16 * MIN;
    const placed = updates(s);
    const held = s.emu.holdAnswers(
      (m, p) => m === 'batch' && JSON.stringify(p).includes('im.notify.system.add'),
    );
    const run = passOnProcess(s, at);
    await held.arrived;
    run.child.kill('SIGKILL');
    await run.done;
    held.release();
    await leaseRunsOut(s);
    assert.equal(s.emu.state.notifications.length, 2, 'done at the portal, answer never read');

    await settled(s);
    const again = passOnProcess(s, at);
    assert.equal(await again.done, 0, again.out.text);
    assert.equal(updates(s), placed + 1, 'the lead was not reassigned twice');
    assert.equal(s.emu.state.crm.leads.get(id)!.assignedById, 3);
    assert.equal(visible(s, 3), 1, 'the resend replaced the first copy');
    assert.equal(visible(s, 2), 1);
    assert.equal(s.emu.state.notifications.length, 4, 'sent, and resent once');
    assert.deepEqual(
      await s.app.ctx.db.all('SELECT user_id FROM first_touch_notice WHERE sent_at IS NULL'),
      [],
    );
  });
});

/** A chat held by operator 2 on a line with the first-answer deadline on (reassign). */
async function assignedChat(ahead: { ms: number }) {
  // The app's clock can move on past a dead process's in-flight window and heartbeat.
  const s = await startStack({
    emulator: {
      seed: {
        ...SEED,
        lines: [
          {
            id: 1,
            name: 'Sales chat',
            queue: [2, 3, 4],
            config: { QUEUE_TYPE: 'strictly', QUEUE_TIME: '60' },
          },
        ],
      },
      language: 'en',
    },
    app: { clock: () => Date.now() + ahead.ms },
  });
  open.push(s);
  const m = s.emu.memberId;
  await s.app.ctx.settings.write(
    m,
    'line:1',
    lineSettingsSchema,
    { firstMessage: { enabled: true, onBreach: 'reassign' } },
    null,
  );
  const dialogs = new DialogRepository(s.app.ctx.db);
  const w = s.emu.sim.clientWrites({ lineId: 1, clientKey: 'c1', text: 'Hello', name: 'Olga Lebedeva' });
  const row = async () => (await dialogs.findBySession(m, w.chatId, w.sessionId))!;
  await waitFor(async () => (await dialogs.findBySession(m, w.chatId, w.sessionId))?.state === 'assigned');
  assert.equal(s.emu.state.chats.get(w.chatId)!.ownerId, 2);
  const due = (await row()).passOnAt!;
  return { s, row, w, due };
}

describe('first message: a pass-on process killed with a chat’s transfer on the wire', () => {
  test('the breach is recorded once, the transfer read back and not sent again, each person told once', async () => {
    const ahead = { ms: 0 };
    const { s, row, w, due } = await assignedChat(ahead);
    const m = s.emu.memberId;
    const transfers = () => s.emu.calls.filter((c) => c.method === 'imopenlines.operator.transfer').length;

    const held = s.emu.holdAnswers(
      (method, p) =>
        method === 'imopenlines.operator.transfer' || JSON.stringify(p).includes('operator.transfer'),
    );
    const run = passOnProcess(s, due);
    await held.arrived;
    run.child.kill('SIGKILL');
    await run.done;
    held.release();
    assert.equal(s.emu.state.chats.get(w.chatId)!.ownerId, 3, 'the portal carried the transfer out');
    assert.equal(transfers(), 1);
    assert.equal(s.emu.state.notifications.length, 0, 'killed before any notification');
    assert.equal((await row()).state, 'transferring', 'the breach and its move were recorded together');

    // Five minutes on: the dead run's lease, heartbeat and in-flight window are over.
    ahead.ms += 5 * MIN;
    await leaseRunsOut(s);
    await settled(s);
    await runnerFor(s.app.ctx).run('sync', { portal: m, now: s.app.ctx.clock() });
    await waitFor(async () => (await row()).state === 'assigned', 'the move read back and confirmed');
    assert.equal((await row()).operatorId, 3);
    const r = await runnerFor(s.app.ctx).run('pass-on', { portal: m, now: s.app.ctx.clock() });
    assert.equal(r.status, 'ok', JSON.stringify(r));
    assert.equal(transfers(), 1, 'the transfer was not sent again');
    assert.equal(visible(s, 3), 1, 'the new operator told once');
    assert.equal(visible(s, 2), 1, 'the previous one told once');
    const breaches = await s.app.ctx.db.all<{ written: number }>(
      "SELECT written FROM first_touch_breach WHERE kind = 'dialog'",
    );
    assert.deepEqual(
      breaches.map((b) => Number(b.written)),
      [1],
      'one breach, written',
    );
  });
});

describe('first message: `npm run job -- pass-on --now … --dry-run`', () => {
  test('reports the chat’s breach and changes nothing', async () => {
    const { s, row, w, due } = await assignedChat({ ms: 0 });
    const before = JSON.stringify(await row());
    const calls = s.emu.calls.length;
    const run = passOnProcess(s, due, ['--dry-run']);
    assert.equal(await run.done, 0, run.out.text);
    const summary = JSON.parse(run.out.text.trim().split('\n').at(-1)!);
    const text = JSON.stringify(summary);
    assert.match(text, /"firstMessage_breaches":1/, text);
    assert.match(
      text,
      new RegExp(`"chatId":${w.chatId},"lineId":1,"breach":1,"holderId":2,"action":"reassign","to":3`),
    );
    assert.equal(JSON.stringify(await row()), before, 'the register row as it was');
    assert.deepEqual(await s.app.ctx.db.all('SELECT * FROM first_touch_breach'), []);
    assert.deepEqual(await s.app.ctx.db.all('SELECT * FROM first_touch_notice'), []);
    const writes = s.emu.calls.slice(calls).filter((c) => /transfer|notify|update|add/.test(c.method));
    assert.deepEqual(writes, [], 'nothing written to the portal');
  });
});
