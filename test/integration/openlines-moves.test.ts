import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { PortalSeed } from 'b24-emulator';
import { runnerFor } from '../../src/jobs/feature.ts';
import { closeAll, type OlPortal, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

function seedWith(config: Record<string, unknown>, queue: number[] = [2, 3, 4]): PortalSeed {
  return { ...SEED, lines: [{ id: 1, name: 'Sales chat', queue, config }] };
}

/** Operator 2 gets the dialog (strictly, first in queue). */
async function assignedTo2(p: OlPortal): Promise<number> {
  const chatId = await p.newDialog();
  await p.settle();
  assert.equal(ownerOf(p, chatId), 2);
  return chatId;
}

describe('open lines: pass-on after the line timeout', () => {
  test('unanswered within QUEUE_TIME → the next in queue order, with imopenlines.operator.transfer', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly', QUEUE_TIME: '60' }) });
    const chatId = await assignedTo2(p);
    const early = await p.runJob('pass-on', Date.now() + 30_000);
    assert.equal(early.totals.due ?? 0, 0, 'not due before the timeout');
    const s = await p.runJob('pass-on', Date.now() + 61_000);
    assert.equal(s.totals.passedOn, 1);
    assert.equal(ownerOf(p, chatId), 3);
    const t = p.transfers();
    assert.equal(t.at(-1)!.method, 'imopenlines.operator.transfer');
    assert.equal(t.at(-1)!.target, '3');
    const log = await p.log(chatId);
    assert.equal(log.at(-1)!.action, 'pass_on');
    assert.equal(log.at(-1)!.previousOperatorId, 2);
    assert.equal(log.at(-1)!.reason.passOn.fromId, 2);

    // Still no answer: on to 4, then (round over) back to 2 but never to the holder.
    await p.runJob('pass-on', Date.now() + 122_000);
    assert.equal(ownerOf(p, chatId), 4);
    await p.runJob('pass-on', Date.now() + 183_000);
    assert.equal(ownerOf(p, chatId), 2);
    const row = (await p.row(chatId))!;
    assert.equal(row.state, 'assigned');
    const load = await p.dialogs.loads(p.memberId, 1);
    assert.deepEqual(
      [...load].filter(([, l]) => l.notAnswered > 0).map(([id]) => id),
      [2],
      'the dialog counts once, for its holder',
    );
  });

  test('an operator message after the assignment is an answer: no pass-on', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly', QUEUE_TIME: '60' }) });
    const chatId = await assignedTo2(p);
    p.emu.sim.operatorWrites({ chatId, userId: 2, text: 'Hello, how can I help?' });
    const s = await p.runJob('pass-on', Date.now() + 61_000);
    assert.equal(s.totals.answered, 1);
    assert.equal(ownerOf(p, chatId), 2);
    assert.equal((await p.row(chatId))!.answered, true);
    assert.equal(p.transfers().length, 1);
  });

  test('nobody else eligible: the dialog stays; QUEUE_TIME=0 never passes on', async () => {
    const p = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly', QUEUE_TIME: '60' }, [2, 3]) });
    p.emu.sim.setUser(3, { online: false });
    await p.runJob('sync');
    const chatId = await assignedTo2(p);
    const s = await p.runJob('pass-on', Date.now() + 61_000);
    assert.equal(s.totals.stayed, 1);
    assert.equal(ownerOf(p, chatId), 2);

    const q = await olPortal({ seed: seedWith({ QUEUE_TYPE: 'strictly', QUEUE_TIME: '0' }) });
    const c2 = await assignedTo2(q);
    const s2 = await q.runJob('pass-on', Date.now() + 3600_000);
    assert.equal(s2.totals.due ?? 0, 0);
    assert.equal(ownerOf(q, c2), 2);
  });
});

describe("open lines: an operator who becomes unavailable (the portal's rules)", () => {
  const lineConfig = { QUEUE_TYPE: 'strictly', QUEUE_TIME: '0' };

  test('not yet accepted (never answered) → back to distribution', async () => {
    const p = await olPortal({ seed: seedWith(lineConfig) });
    const chatId = await assignedTo2(p);
    p.emu.sim.setUser(2, { online: false });
    const s = await p.runJob('sync');
    assert.equal(s.totals.returned, 1);
    assert.equal(ownerOf(p, chatId), 3);
    const last = (await p.log(chatId)).at(-1)!;
    assert.equal(last.action, 'return');
    assert.equal(last.previousOperatorId, 2);
    assert.equal(last.reason.dialog, 'not_accepted');
    assert.equal(p.transfers().at(-1)!.method, 'imopenlines.operator.transfer');
  });

  test('--dry-run reports the return and changes nothing', async () => {
    const p = await olPortal({ seed: seedWith(lineConfig) });
    const chatId = await assignedTo2(p);
    p.emu.sim.setUser(2, { online: false });
    const before = (await p.row(chatId))!;
    p.emu.resetCalls();
    const s = await runnerFor(p.app.ctx).run('sync', { portal: p.memberId, dryRun: true });
    await p.settle();
    assert.equal(s.status, 'ok');
    assert.equal(s.totals.returned, 1);
    assert.equal(ownerOf(p, chatId), 2);
    assert.deepEqual(p.transfers(true), []);
    assert.ok(!p.emu.calls.some((c) => /update|register|transfer/.test(c.method)), 'only reads');
    assert.equal((await p.row(chatId))!.version, before.version);
    await p.runJob('sync');
    assert.equal(ownerOf(p, chatId), 3);
  });

  test('the operator wrote last and waits for the client → stays', async () => {
    const p = await olPortal({ seed: seedWith(lineConfig) });
    const chatId = await assignedTo2(p);
    p.emu.sim.operatorWrites({ chatId, userId: 2, text: 'Let me check and come back.' });
    p.emu.sim.setUser(2, { online: false, timeman: 'CLOSED' });
    const s = await p.runJob('sync');
    assert.equal(s.totals.stayed, 1);
    assert.equal(ownerOf(p, chatId), 2);
    assert.equal(p.transfers().length, 1);
  });

  test('answered before, then the client wrote → accepted into work, stays', async () => {
    const p = await olPortal({ seed: seedWith(lineConfig) });
    const chatId = await assignedTo2(p);
    p.emu.sim.operatorWrites({ chatId, userId: 2, text: 'Hello' });
    p.emu.sim.clientWrites({
      lineId: 1,
      clientKey: p.emu.state.clients.get(p.emu.state.chats.get(chatId)!.clientId)!.clientKey,
      text: 'And one more thing',
    });
    p.emu.sim.setUser(2, { online: false });
    const s = await p.runJob('sync');
    assert.equal(s.totals.stayed, 1);
    assert.equal(ownerOf(p, chatId), 2);
    assert.equal((await p.row(chatId))!.lastFrom, 'client');
  });

  test('dismissed → every dialog goes back, answered or not', async () => {
    const p = await olPortal({ seed: seedWith(lineConfig) });
    const a = await assignedTo2(p);
    const b = await assignedTo2(p);
    p.emu.sim.operatorWrites({ chatId: b, userId: 2, text: 'Hello' });
    p.emu.sim.setUser(2, { active: false });
    const s = await p.runJob('sync');
    assert.equal(s.totals.returned, 2);
    assert.equal(ownerOf(p, a), 3);
    assert.equal(ownerOf(p, b), 3);
    assert.equal((await p.log(b)).at(-1)!.reason.dialog, 'departed');
  });

  test('nobody else available → it waits in the app queue, and goes out when someone is back', async () => {
    const p = await olPortal({ seed: seedWith(lineConfig, [2, 3]) });
    p.emu.sim.setUser(3, { online: false });
    await p.runJob('sync');
    const chatId = await assignedTo2(p);
    p.emu.sim.setUser(2, { online: false });
    const s = await p.runJob('sync');
    assert.equal(s.totals.returnedToWait, 1);
    const row = (await p.row(chatId))!;
    assert.equal(row.state, 'waiting');
    assert.equal(ownerOf(p, chatId), 2, 'the portal keeps it with 2 meanwhile');
    assert.equal(
      (await p.dialogs.loads(p.memberId, 1)).get(2)?.notAnswered ?? 0,
      0,
      'no longer counted for 2',
    );
    p.emu.sim.setUser(3, { online: true });
    await p.runJob('sync');
    assert.equal(ownerOf(p, chatId), 3);
    assert.equal(p.transfers().at(-1)!.method, 'imopenlines.operator.transfer');
  });
});
