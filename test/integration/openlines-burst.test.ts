import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ParamsFactory } from '@bitrix24/b24jssdk';
import { waitFor } from '../helpers/context.ts';
import { closeAll, olPortal, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

describe('open lines: a burst', () => {
  test('500 new dialogs under the portal limit (2 req/s, burst 50): all assigned, none lost, none twice', async () => {
    const operators = [2, 3, 4, 5, 6];
    const p = await olPortal({
      seed: {
        ...SEED,
        lines: [{ id: 1, name: 'Sales chat', queue: operators, config: { QUEUE_TYPE: 'evenly' } }],
      },
      restrictions: ParamsFactory.getDefault(),
    });
    p.emu.setRateLimit({ drainPerSec: 2, burst: 50 });
    p.emu.resetCalls();
    const before = p.emu.httpRequests;
    const chats = new Set<number>();
    for (let i = 0; i < 500; i++)
      chats.add(p.emu.sim.clientWrites({ lineId: 1, clientKey: `burst-${i}`, text: 'Hi' }).chatId);
    assert.equal(chats.size, 500);
    await waitFor(
      async () => (await p.dialogs.countByState(p.memberId)).assigned === 500,
      'all 500 assigned',
      60_000,
    );
    await p.settle();

    const owners = [...chats].map((c) => p.emu.state.chats.get(c)!.ownerId);
    assert.ok(
      owners.every((o) => operators.includes(o)),
      'every chat is with an operator',
    );
    const per = new Map<number, number>();
    for (const o of owners) per.set(o, (per.get(o) ?? 0) + 1);
    assert.deepEqual([...per.values()], [100, 100, 100, 100, 100], 'evenly: 100 each');

    const transfers = p.transfers();
    assert.equal(transfers.length, 500);
    assert.equal(new Set(transfers.map((t) => t.chatId)).size, 500, 'no chat transferred twice');
    assert.equal(p.transfers(true).length, 500, 'no transfer refused or repeated');
    assert.ok(!p.emu.calls.some((c) => c.error === 'QUERY_LIMIT_EXCEEDED'), 'never over the limit');
    const log = (await p.log()).filter((l) => l.action === 'assign');
    assert.equal(log.length, 500);
    assert.equal(new Set(log.map((l) => l.objectId)).size, 500);
    // How many requests depends on how fast events arrive (partial batches go out at the
    // budget's pace); either way the transfers share requests rather than one each.
    const requests = p.emu.httpRequests - before;
    assert.ok(requests <= 125, `the transfers went out in batches: ${requests} requests for 500 dialogs`);
    const counts = await p.dialogs.countByState(p.memberId);
    assert.deepEqual(counts, { waiting: 0, transferring: 0, assigned: 500, portal: 0, closed: 0 });
  });
});
