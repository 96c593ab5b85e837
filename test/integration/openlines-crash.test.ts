import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { BOT_TRANSFER, OPERATOR_TRANSFER } from '../../src/openlines/move-commands.ts';
import { waitFor } from '../helpers/context.ts';
import { closeAll, olPortal, ownerOf, SEED } from './openlines-helpers.ts';

afterEach(closeAll);

const seed = {
  ...SEED,
  lines: [{ id: 1, name: 'Sales chat', queue: [2, 3], config: { QUEUE_TYPE: 'strictly' } }],
};

describe('open lines: crash safety and idempotency', () => {
  test('the same join delivered again is one event: one dialog, one transfer, one log row', async () => {
    const p = await olPortal({ seed });
    const chatId = await p.newDialog();
    await p.settle();
    const delivery = p.emu.deliveries.find((d) => /JOINCHAT/.test(d.event))!;
    const res = await fetch(`${p.app.url}/events`, {
      method: 'POST',
      headers: { 'content-type': delivery.contentType },
      body: delivery.body,
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).status, 'duplicate');
    await p.settle();
    assert.equal(p.transfers().length, 1);
    assert.equal((await p.log(chatId)).length, 1);
  });

  test('a handler that runs again after the transfer finishes nothing twice and decides nothing new', async () => {
    const p = await olPortal({ seed });
    const chatId = await p.newDialog();
    await p.settle();
    const inbox = (await p.app.ctx.inbox.list()).find((r) => /JOINCHAT/.test(r.event))!;
    const def = p.app.ctx.router.get(inbox.event)!;
    // The crash came after the portal transferred the chat and before the inbox row was marked done.
    await def.handle({
      memberId: inbox.memberId,
      event: inbox.event,
      body: inbox.payload,
      row: inbox,
      client: () => p.app.ctx.clients.get(inbox.memberId),
      log: p.app.ctx.log,
      now: Date.now,
    });
    await p.settle();
    assert.equal(p.transfers(true).length, 1, 'no second transfer asked for');
    assert.equal((await p.log(chatId)).length, 1);
    assert.equal(ownerOf(p, chatId), 2);
  });

  test('crash after the transfer, before its confirmation was recorded: the re-run confirms it once', async () => {
    const p = await olPortal({ seed });
    const chatId = await p.newDialog();
    await p.settle();
    const row = (await p.row(chatId))!;
    const logged = await p.log(chatId);
    // Put the row back the way the crashed run left it: decision recorded, confirmation lost.
    const back = await p.dialogs.update(
      row,
      {
        state: 'transferring',
        holder: 'bot',
        operatorId: null,
        firstAssignedAt: null,
        pending: {
          method: BOT_TRANSFER,
          targetId: 2,
          fromId: null,
          logAction: 'assign',
          reason: logged[0].reason,
          stamp: 1,
          decidedAt: logged[0].at,
          attempts: 0,
        },
      },
      Date.now(),
    );
    assert.ok(back);
    await p.svc.moves.recover(p.memberId);
    await p.settle();
    const after = (await p.row(chatId))!;
    assert.equal(after.state, 'assigned');
    assert.equal(after.operatorId, 2);
    assert.equal(p.transfers().length, 1, 'the portal carried out one transfer');
    assert.equal((await p.log(chatId)).length, 1, 'logged once');
    assert.equal((await p.dialogs.loads(p.memberId, 1)).get(2)?.notAnswered, 1, 'counted once');
  });

  test('crash after recording the decision, before asking the portal: recovery carries it out', async () => {
    const p = await olPortal({ seed });
    p.emu.sim.setUser(2, { online: false });
    p.emu.sim.setUser(3, { online: false });
    await p.runJob('sync');
    const chatId = await p.newDialog();
    await p.settle();
    const row = (await p.row(chatId))!;
    assert.equal(row.state, 'waiting');
    await p.dialogs.update(
      row,
      {
        state: 'transferring',
        pending: {
          method: BOT_TRANSFER,
          targetId: 3,
          fromId: null,
          logAction: 'assign',
          reason: { rule: 'strictly', operatorId: 3, skipped: { at_capacity: [], unavailable: [] } },
          stamp: Date.now(),
          decidedAt: Date.now(),
          attempts: 0,
        },
      },
      Date.now(),
    );
    // A restarted process finishes recorded decisions at start; the sync job does the same.
    await p.runJob('sync');
    assert.equal(ownerOf(p, chatId), 3);
    const log = (await p.log(chatId)).filter((l) => l.action === 'assign');
    assert.equal(log.length, 1);
    assert.ok(log[0].latencyMs !== null);
  });

  test('a refused transfer is decided again without that operator; a failed request is retried', async () => {
    const p = await olPortal({
      seed: { ...seed, lines: [{ ...seed.lines[0], config: { QUEUE_TYPE: 'strictly' } }] },
    });
    // The portal answers 503 once: the write queue's request is retried and the dialog still goes out once.
    p.emu.injectFault({ method: 'batch', times: 1, status: 503, error: 'INTERNAL_SERVER_ERROR' });
    const a = await p.newDialog();
    await p.settle();
    await waitFor(() => ownerOf(p, a) === 2, 'assigned after the retry');
    assert.equal(p.transfers().length, 1);

    // 2 was dismissed a moment ago and the app does not know yet: the portal refuses the transfer.
    p.emu.state.users.get(2)!.active = false;
    const b = await p.newDialog();
    await p.settle();
    assert.equal(ownerOf(p, b), 3);
    const refused = p.transfers(true).filter((t) => t.error);
    assert.equal(refused.length, 1);
    assert.equal((await p.log(b)).filter((l) => l.action === 'assign').length, 1);
  });

  test('a move to the line queue that went out before a crash is not sent again', async () => {
    // The line queue passes a dialog on every time it is asked, so a resent queue move would
    // move the client a second time.
    const p = await olPortal({ seed: { ...seed, lines: [{ ...seed.lines[0], queue: [2, 3, 4] }] } });
    const chatId = await p.newDialog();
    await p.settle();
    const row = (await p.row(chatId))!;
    assert.equal(row.operatorId, 2);
    const logged = await p.log(chatId);
    const pending = {
      method: OPERATOR_TRANSFER as typeof OPERATOR_TRANSFER,
      targetId: null,
      fromId: 2,
      logAction: 'portal_queue' as const,
      reason: logged[0].reason,
      stamp: 1,
      decidedAt: Date.now(),
      attempts: 0,
    };
    const recorded = await p.dialogs.update(row, { state: 'transferring', pending }, Date.now());
    assert.ok(recorded);
    // The first run sends the move (operator 2 has gone offline, so the queue gives it to the
    // next one) and dies before recording that the portal did it.
    p.emu.sim.setUser(2, { online: false });
    const client = await p.app.ctx.clients.get(p.memberId);
    await client.call(OPERATOR_TRANSFER, { CHAT_ID: chatId, TRANSFER_ID: 'queue1' });
    const movedTo = ownerOf(p, chatId);
    assert.notEqual(movedTo, 2, 'the portal moved the dialog once');
    await p.dialogs.update(recorded, { pending: { ...pending, attempts: 1 } }, Date.now());
    const before = p.transfers().length;

    await p.svc.moves.recover(p.memberId);
    await p.settle();
    assert.equal(p.transfers().length, before, 'the move was not sent again');
    assert.equal(ownerOf(p, chatId), movedTo, 'the client stays where the one move put them');
    assert.equal((await p.row(chatId))?.state, 'portal');
  });
});
