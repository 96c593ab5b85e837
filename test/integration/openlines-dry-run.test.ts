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
