import assert from 'node:assert/strict';
import { test } from 'node:test';
import request from 'supertest';
import { createLeadsFeature } from '../../src/crm/feature.ts';
import { offlineEventsFeature } from '../../src/events/offline-events.ts';
import { jobsFeature } from '../../src/jobs/feature.ts';
import type { JobRunner } from '../../src/jobs/runner.ts';
import { leadSettingsSchema } from '../../src/settings/schema.ts';
import { OfflineEventsStatusRepository } from '../../src/db/repositories/offline-events-status.ts';
import { SETUP_EVENT } from '../../src/events/lifecycle.ts';
import { webFeature } from '../../src/web/feature.ts';
import { appForm, bootOf } from '../browser/harness.ts';
import { waitFor } from '../helpers/context.ts';
import { startStack } from '../helpers/emulator.ts';

test('events the portal could not deliver while the app was down are pulled from the offline queue, once', async () => {
  let down = false;
  // The portal's event queue reaches the app only while it is up; a failed delivery is lost.
  const deliver: typeof fetch = (input, init) =>
    down ? Promise.reject(new Error('connect ECONNREFUSED')) : fetch(input, init);
  const s = await startStack({
    emulator: { fetch: deliver },
    app: { features: [offlineEventsFeature, jobsFeature, createLeadsFeature()] },
  });
  try {
    const runner = s.app.ctx.services.jobRunner as JobRunner;
    const queue = [...s.emu.state.users.values()].filter((u) => !u.admin).slice(0, 3);
    await s.app.ctx.settings.write(
      s.emu.memberId,
      'leads',
      leadSettingsSchema,
      { rules: { mode: 'evenly', queue: queue.map((u) => ({ id: u.id })), availability: { check: false } } },
      null,
    );
    down = true;
    const ids = [1, 2, 3].map((i) => s.emu.sim.addLead({ title: `While down ${i}` }));
    await s.emu.idle();
    assert.ok(
      s.emu.deliveries.filter((d) => d.event === 'ONCRMLEADADD').every((d) => d.status !== 200),
      'the online deliveries were lost',
    );
    assert.equal((await s.app.ctx.inbox.list({ event: 'ONCRMLEADADD' })).length, 0);
    down = false;

    const first = await runner.run('offline-events', { portal: s.emu.memberId });
    assert.equal(first.status, 'ok');
    assert.equal(first.totals.stored, 3);
    await s.app.ctx.worker.drain();
    const rows = await waitFor(async () => {
      const r = await s.app.ctx.inbox.list({ event: 'ONCRMLEADADD' });
      return r.length === 3 && r.every((x) => x.state === 'done') && r;
    }, 'offline events processed');
    assert.deepEqual(
      rows.map((r) => r.source),
      ['offline', 'offline', 'offline'],
    );
    for (const id of ids) {
      const lead = s.emu.state.crm.leads.get(id);
      assert.ok(lead && queue.some((u) => u.id === lead.assignedById), `lead ${id} went to a queue operator`);
    }
    const log = await s.app.ctx.assignmentLog.recent(s.emu.memberId, { kind: 'lead' });
    assert.deepEqual(
      new Set(log.filter((l) => l.action === 'assign').map((l) => Number(l.objectId))),
      new Set(ids),
    );

    // The queue was cleared: a second run finds nothing, and nothing is assigned twice.
    const second = await runner.run('offline-events', { portal: s.emu.memberId });
    assert.equal(second.totals.stored ?? 0, 0);
    await s.app.ctx.worker.drain();
    const again = await s.app.ctx.assignmentLog.recent(s.emu.memberId, { kind: 'lead' });
    assert.equal(again.filter((l) => l.action === 'assign').length, 3);
  } finally {
    await s.close();
  }
});

test('an unreadable offline record is marked with event.offline.error by its MESSAGE_ID (events/event-offline-error.md), never by its ID', async () => {
  const s = await startStack({
    app: { features: [offlineEventsFeature, jobsFeature, createLeadsFeature()] },
  });
  try {
    const runner = s.app.ctx.services.jobRunner as JobRunner;
    s.emu.sim.addLead({ title: 'Unreadable' });
    s.emu.sim.addLead({ title: 'No MESSAGE_ID' });
    await s.emu.idle();
    const [first, second] = [...s.emu.state.offlineQueue.values()];
    // Neither record carries an object id the app could read.
    first.eventData = { FIELDS: {} };
    second.eventData = { FIELDS: {} };
    second.messageId = '';
    s.emu.resetCalls();
    const run = await runner.run('offline-events', { portal: s.emu.memberId });
    assert.equal(run.status, 'ok');
    const errors = s.emu.calls.filter((c) => c.method === 'event.offline.error');
    assert.equal(errors.length, 1);
    const sent = (errors[0].params as any).message_id;
    assert.deepEqual(Object.values(sent).map(String), [first.messageId]);
    assert.equal(first.error, true, 'marked as an error at the portal');
    assert.equal(second.error, false);
    assert.ok(s.emu.state.offlineQueue.has(second.id), 'the record without MESSAGE_ID is left, not cleared');
  } finally {
    await s.close();
  }
});

test('offline events are administrator-only (events/index.md, event-bind.md): without an administrator’s token they are recorded as unavailable, setup goes on, and the dashboard says so', async () => {
  const s = await startStack({
    app: { features: [offlineEventsFeature, jobsFeature, createLeadsFeature(), webFeature] },
  });
  try {
    const runner = s.app.ctx.services.jobRunner as JobRunner;
    const status = new OfflineEventsStatusRepository(s.app.ctx.db);
    assert.equal((await status.get(s.emu.memberId))?.state, 'on', 'installed by an administrator: bound');
    const page = await request(s.app.ctx.app).post('/app?LANG=en').type('form').send(appForm(s.emu, 1));
    const token = bootOf(page.text).token;
    const dashboard = async (lang = 'en') =>
      (
        await request(s.app.ctx.app)
          .get(`/api/dashboard?lang=${lang}`)
          .set({ Authorization: `Bearer ${token}` })
      ).body;
    assert.equal((await dashboard()).offlineEvents.note, null);

    // The administrator whose token the app keeps loses the rights; another one updates the app.
    s.emu.sim.setUser(1, { admin: false });
    const other = s.emu.sim.addUser({ name: 'Boris', lastName: 'Admin', admin: true });
    const run = await runner.run('offline-events', { portal: s.emu.memberId });
    assert.equal(run.status, 'ok', 'the portal’s 403 is an answer, not a failure');
    assert.equal(run.totals.unavailable, 1);
    assert.equal((await status.get(s.emu.memberId))?.state, 'not_admin');

    for (const b of [...s.emu.state.bindings.values()]) if (b.offline) s.emu.state.bindings.delete(b.id);
    s.emu.update({ userId: other });
    await waitFor(async () => {
      const rows = await s.app.ctx.inbox.list({ event: SETUP_EVENT });
      return rows.length > 0 && rows.every((r) => r.state === 'done');
    }, 'setup finished without the offline bindings');
    assert.ok(
      ![...s.emu.state.bindings.values()].some((b) => b.offline),
      'no offline binding tried with a token the portal refuses them to',
    );
    const d = await dashboard();
    assert.equal(d.offlineEvents.state, 'not_admin');
    assert.match(d.offlineEvents.note, /only administrators/);

    // The rights come back: the next check (every 15 minutes) binds and pulls again.
    s.emu.sim.setUser(1, { admin: true });
    const soon = await runner.run('offline-events', { portal: s.emu.memberId });
    assert.equal(soon.totals.unavailable, 1, 'not asked again before the pause');
    const later = await runner.run('offline-events', {
      portal: s.emu.memberId,
      now: Date.now() + 16 * 60_000,
    });
    assert.equal(later.totals.unavailable ?? 0, 0);
    assert.equal((await status.get(s.emu.memberId))?.state, 'on');
    assert.ok(
      [...s.emu.state.bindings.values()].some((b) => b.offline),
      'bound again',
    );
  } finally {
    await s.close();
  }
});
