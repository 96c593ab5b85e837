import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type Harness, manualClock, startHarness } from './helpers.ts';

/** What people do that an app only sees indirectly: the absence chart and transfers in the UI. */
describe('emulator: absences and transfers by people', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('an absence chart entry shows as im `absent` only while it runs (ABSENCE_CHART_NOT_IN_REST)', async () => {
    const clock = manualClock();
    h = await startHarness({ clock: clock.now });
    const from = clock.now() + 3600_000;
    const to = from + 2 * 86_400_000;
    h.emu.sim.addAbsence({ userId: 7, from, to });
    // A fresh token each time: the clock jumps past an hour's token life.
    const absent = async () =>
      (await h.call('im.user.list.get', { ID: [7] }, h.emu.issueUserToken(1))).body.result['7'].absent;
    assert.equal(await absent(), false, 'not before it starts');
    clock.advance(2 * 3600_000);
    const during = await absent();
    assert.equal(Date.parse(during), to, 'the end of the current absence, in ATOM format');
    assert.match(during, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+03:00$/);
    clock.advance(2 * 86_400_000);
    assert.equal(await absent(), false, 'over');
    assert.throws(() => h.emu.sim.addAbsence({ userId: 7, from: to, to: from }), /ends after it starts/);
  });

  it('a transfer in the UI changes the owner and fires no event, but the lead the line made follows as the person’s change', async () => {
    h = await startHarness();
    for (const event of ['ONCRMLEADUPDATE', 'ONCRMLEADADD']) {
      await h.call('event.bind', { event, handler: `${h.app.url}/events` });
    }
    await h.call('imopenlines.config.update', { CONFIG_ID: 2, PARAMS: { CRM: 'Y', CRM_CREATE: 'lead' } });
    const { chatId } = h.emu.sim.clientWrites({ lineId: 2, clientKey: 'tg-9', text: 'Hello' });
    h.emu.sim.runTimers();
    const before = await h.call('imopenlines.dialog.get', { CHAT_ID: chatId });
    const from = before.body.result.owner;
    assert.ok(from > 0, 'the native queue gave it to someone');
    const to = from === 7 ? 6 : 7;
    await h.emu.idle();
    const seen = h.app.received.length;

    h.emu.sim.operatorTransfers({ chatId, toUserId: to, byUserId: from });
    await h.emu.idle();
    const after = await h.call('imopenlines.dialog.get', { CHAT_ID: chatId });
    assert.equal(after.body.result.owner, to);
    const fired = h.app.received.slice(seen);
    assert.deepEqual(
      fired.map((r) => r.body.event),
      ['ONCRMLEADUPDATE'],
      'only the lead the line made (CRM_TRANSFER_CHANGE=Y), nothing about the chat',
    );
    assert.equal(
      typeof fired[0].body.auth.access_token,
      'string',
      'a person did it (TRANSFER_CRM_CHANGE_ACTOR)',
    );
    const leadId = Number(fired[0].body.data.FIELDS.ID);
    assert.equal(h.emu.state.crm.leads.get(leadId)?.assignedById, to);
  });
});
