import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { runnerFor } from '../../src/jobs/feature.ts';
import { closeAll, olPortal, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

const seed = {
  ...SEED,
  lines: [
    { id: 1, name: 'Sales chat', queue: [2, 3], config: { QUEUE_TYPE: 'strictly', CHECK_AVAILABLE: 'Y' } },
  ],
};

test('sync --dry-run reports what the real run then does', async () => {
  const p = await olPortal({ seed });
  const runner = runnerFor(p.app.ctx);
  // Two dialogs with operator 2: one answered (it stays when 2 goes offline), one not (it returns).
  const answered = await p.newDialog(1, 'client-a');
  const unanswered = await p.newDialog(1, 'client-b');
  await p.settle();
  assert.equal((await p.row(answered))?.operatorId, 2);
  assert.equal((await p.row(unanswered))?.operatorId, 2);
  p.emu.sim.operatorWrites({ chatId: answered, userId: 2, text: 'Hello!' });
  p.emu.sim.setUser(2, { online: false });

  const dry = await runner.run('sync', { portal: p.memberId, dryRun: true });
  const dryResult = dry.portals[p.memberId] as Record<string, number>;
  assert.equal((await p.row(unanswered))?.operatorId, 2, 'the dry run moved nothing');
  assert.equal((await p.row(answered))?.answered, false, 'the dry run wrote nothing');

  const real = await runner.run('sync', { portal: p.memberId });
  await p.settle();
  const realResult = real.portals[p.memberId] as Record<string, number>;
  for (const k of ['stayed', 'returned', 'returnedToWait', 'answered']) {
    assert.equal(dryResult[k], realResult[k], `${k}: dry ${dryResult[k]} vs real ${realResult[k]}`);
  }
  assert.equal(realResult.stayed, 1);
  assert.equal(realResult.returned, 1);
  assert.equal((await p.row(unanswered))?.operatorId, 3);
  assert.equal((await p.row(answered))?.operatorId, 2);
});

test('pass-on --dry-run counts what the real run does when one place is left for two dialogs', async () => {
  const p = await olPortal({
    seed: {
      ...SEED,
      lines: [
        {
          id: 1,
          name: 'Sales chat',
          queue: [2, 3, 4],
          config: {
            QUEUE_TYPE: 'strictly',
            QUEUE_TIME: '60',
            MAX_CHAT: '2',
            TYPE_MAX_CHAT: 'closed',
            CHECK_AVAILABLE: 'Y',
          },
        },
      ],
    },
  });
  const runner = runnerFor(p.app.ctx);
  const owners = async (...chats: number[]) =>
    Promise.all(chats.map(async (c) => (await p.row(c))?.operatorId));
  // Operator 2 holds two unanswered dialogs; 3 is full with answered ones; 4 has one place.
  p.emu.sim.setUser(3, { online: false });
  p.emu.sim.setUser(4, { online: false });
  await p.runJob('sync');
  const a = await p.newDialog(1, 'client-a');
  const b = await p.newDialog(1, 'client-b');
  await p.settle();
  p.emu.sim.setUser(3, { online: true });
  await p.runJob('sync');
  const c = await p.newDialog(1, 'client-c');
  const d = await p.newDialog(1, 'client-d');
  await p.settle();
  p.emu.sim.setUser(4, { online: true });
  await p.runJob('sync');
  const e = await p.newDialog(1, 'client-e');
  await p.settle();
  assert.deepEqual(await owners(a, b, c, d, e), [2, 2, 3, 3, 4]);
  for (const [chatId, userId] of [
    [c, 3],
    [d, 3],
    [e, 4],
  ])
    p.emu.sim.operatorWrites({ chatId, userId, text: 'Hi' });
  await p.settle();

  const at = Date.now() + 61_000;
  const dry = (await runner.run('pass-on', { portal: p.memberId, now: at, dryRun: true })).portals[
    p.memberId
  ];
  assert.deepEqual(await owners(a, b), [2, 2], 'the dry run moved nothing');
  const real = (await runner.run('pass-on', { portal: p.memberId, now: at })).portals[p.memberId] as Record<
    string,
    number
  >;
  await p.settle();
  // one of the two goes to 4's one place; the other stays (3 and then 4 are full)
  assert.deepEqual([real.passedOn, real.stayed], [1, 1]);
  assert.deepEqual(dry, real, 'the dry run counted each place once, as the real run does');
  assert.deepEqual((await owners(a, b)).sort(), [2, 4]);
});
