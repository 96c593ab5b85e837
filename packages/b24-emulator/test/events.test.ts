import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { type Harness, startHarness } from './helpers.ts';

/** Keys in body order, brackets decoded: "data[FIELDS][ID]", "auth[member_id]", … */
function keysOf(raw: string): string[] {
  return [...new URLSearchParams(raw).keys()];
}

describe('emulator event delivery', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('drops events until installFinish, then delivers ONAPPINSTALL with a refresh token', async () => {
    h = await startHarness({ finish: false });
    await h.call('event.bind', { event: 'ONAPPINSTALL', handler: `${h.app.url}/events` });
    await h.call('event.bind', { event: 'ONCRMLEADADD', handler: `${h.app.url}/events` });
    const info = await h.call('app.info');
    assert.equal(info.body.result.INSTALLED, false);
    h.emu.sim.addLead({ title: 'too early' });
    await h.emu.idle();
    assert.equal(h.app.received.filter((r) => r.path === '/events').length, 0);
    assert.equal(h.emu.deliveries.at(-1)?.outcome, 'dropped');

    h.emu.finishInstall();
    await h.emu.idle();
    const install = h.app.received.find((r) => r.body.event === 'ONAPPINSTALL');
    assert.ok(install);
    assert.deepEqual(install.body.data, { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: 'ru' });
    assert.equal(typeof install.body.auth.refresh_token, 'string');
    assert.equal(install.body.auth.scope, 'crm imopenlines imbot im user department timeman placement');
    assert.equal(install.body.auth.application_token, h.emu.state.app.applicationToken);
    assert.equal((await h.call('app.info')).body.result.INSTALLED, true);
  });

  it('posts form-urlencoded bodies with PHP-style bracketed keys and string values', async () => {
    h = await startHarness();
    await h.call('event.bind', { event: 'ONCRMLEADADD', handler: `${h.app.url}/events` });
    const add = await h.call('crm.item.add', { entityTypeId: 1, fields: { title: 'From REST' } });
    const leadId = add.body.result.item.id;
    await h.emu.idle();
    const got = h.app.received.find((r) => r.path === '/events');
    assert.ok(got);
    assert.equal(got.method, 'POST');
    assert.match(String(got.headers['content-type']), /^application\/x-www-form-urlencoded/);
    assert.match(
      got.raw,
      /^event=ONCRMLEADADD&event_handler_id=\d+&data%5BFIELDS%5D%5BID%5D=\d+&ts=\d+&auth%5B/,
    );
    assert.deepEqual(keysOf(got.raw), [
      'event',
      'event_handler_id',
      'data[FIELDS][ID]',
      'ts',
      'auth[access_token]',
      'auth[expires_in]',
      'auth[scope]',
      'auth[domain]',
      'auth[server_endpoint]',
      'auth[status]',
      'auth[client_endpoint]',
      'auth[member_id]',
      'auth[application_token]',
    ]);
    const b = got.body;
    assert.equal(b.data.FIELDS.ID, String(leadId));
    assert.equal(b.auth.expires_in, '3600');
    assert.equal(b.auth.domain, h.emu.domain);
    assert.equal(b.auth.client_endpoint, h.emu.clientEndpoint);
    assert.equal(b.auth.member_id, h.emu.memberId);
    // the event's token belongs to the user who caused it
    const who = await h.call('profile', {}, b.auth.access_token);
    assert.equal(who.body.result.ID, '1');
  });

  it('leaves the tokens out when nobody on the staff caused the event', async () => {
    h = await startHarness();
    await h.call('event.bind', { event: 'ONCRMLEADADD', handler: `${h.app.url}/events` });
    h.emu.sim.addLead({ title: 'web form' });
    await h.emu.idle();
    const auth = h.app.received[h.app.received.length - 1].body.auth;
    assert.equal(auth.access_token, undefined);
    assert.equal(auth.application_token, h.emu.state.app.applicationToken);
  });

  it('uses auth_type user tokens when the binding names a user', async () => {
    h = await startHarness();
    await h.call('event.bind', { event: 'ONCRMLEADADD', handler: `${h.app.url}/events`, auth_type: 3 });
    h.emu.sim.addLead({ title: 'for 3' });
    await h.emu.idle();
    const auth = h.app.received[h.app.received.length - 1].body.auth;
    assert.equal((await h.call('profile', {}, auth.access_token)).body.result.ID, '3');
  });

  it('does not block the REST call on a slow handler and never retries a failure', async () => {
    h = await startHarness();
    await h.call('event.bind', { event: 'ONCRMLEADADD', handler: `${h.app.url}/events` });
    let release!: () => void;
    h.app.gate = new Promise<void>((r) => {
      release = r;
    });
    h.app.status = 500;
    const add = await h.call('crm.item.add', { entityTypeId: 1, fields: { title: 'x' } });
    assert.equal(add.status, 200);
    const rec = h.emu.deliveries.find((d) => d.event === 'ONCRMLEADADD');
    assert.equal(rec?.outcome, 'pending');
    release();
    await h.emu.idle();
    assert.equal(rec?.outcome, 'failed');
    assert.equal(rec?.status, 500);
    assert.equal(h.app.received.filter((r) => r.path === '/events').length, 1);
  });

  it('rejects a duplicate bind and unknown events; unbind counts what it removed', async () => {
    h = await startHarness();
    const handler = `${h.app.url}/events`;
    assert.equal((await h.call('event.bind', { event: 'onCrmLeadUpdate', handler })).body.result, true);
    const dup = await h.call('event.bind', { event: 'ONCRMLEADUPDATE', handler });
    assert.equal(dup.status, 400);
    assert.equal(dup.body.error, 'ERROR_HANDLER_ALREADY_EXIST');
    const unknown = await h.call('event.bind', { event: 'ONNOTHING', handler });
    assert.equal(unknown.body.error, 'ERROR_EVENT_NOT_FOUND');
    const list = await h.call('event.get');
    assert.deepEqual(list.body.result, [{ event: 'ONCRMLEADUPDATE', handler, auth_type: '0', offline: 0 }]);
    const un = await h.call('event.unbind', { event: 'ONCRMLEADUPDATE', handler });
    assert.deepEqual(un.body.result, { count: 1 });
  });

  it('fires ONCRMLEADUPDATE only when crm.item.update changes something', async () => {
    h = await startHarness();
    await h.call('event.bind', { event: 'ONCRMLEADUPDATE', handler: `${h.app.url}/events` });
    await h.call('crm.item.update', { entityTypeId: 1, id: 1001, fields: { assignedById: 3 } });
    await h.call('crm.item.update', { entityTypeId: 1, id: 1001, fields: { assignedById: 6 } });
    await h.emu.idle();
    const updates = h.app.received.filter((r) => r.body.event === 'ONCRMLEADUPDATE');
    assert.equal(updates.length, 1);
    assert.equal(h.emu.state.crm.leads.get(1001)?.assignedById, 6);
  });

  it('sends ONAPPUNINSTALL with the reduced auth block, then the app has no access', async () => {
    h = await startHarness();
    await h.call('event.bind', { event: 'ONAPPUNINSTALL', handler: `${h.app.url}/events` });
    h.emu.uninstall({ clean: true });
    await h.emu.idle();
    const got = h.app.received.find((r) => r.body.event === 'ONAPPUNINSTALL');
    assert.ok(got);
    assert.deepEqual(got.body.data, { LANGUAGE_ID: 'ru', CLEAN: '1' });
    assert.deepEqual(Object.keys(got.body.auth).sort(), [
      'application_token',
      'client_endpoint',
      'domain',
      'member_id',
      'server_endpoint',
    ]);
    assert.equal((await h.call('profile')).body.error, 'NO_AUTH_FOUND');
  });
});

describe('emulator offline events', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  it('keeps the latest state per object, reserves with clear=0 and clears by process_id', async () => {
    h = await startHarness();
    assert.deepEqual((await h.call('feature.get', { CODE: 'rest_offline_extended' })).body.result, {
      value: 'Y',
    });
    await h.call('event.bind', { event: 'ONCRMLEADUPDATE', event_type: 'offline' });
    for (const who of [3, 6, 7])
      await h.call('crm.item.update', { entityTypeId: 1, id: 1001, fields: { assignedById: who } });
    const list = await h.call('event.offline.list');
    assert.equal(list.body.total, 1);
    assert.equal(list.body.result[0].EVENT_NAME, 'ONCRMLEADUPDATE');
    assert.deepEqual(list.body.result[0].EVENT_DATA, { FIELDS: { ID: 1001 } });
    assert.equal(list.body.result[0].PROCESS_ID, '');

    const reserved = await h.call('event.offline.get', { clear: 0 });
    const pid = reserved.body.result.process_id;
    assert.match(pid, /^[0-9a-f]{32}$/);
    assert.equal(reserved.body.result.events.length, 1);
    const ev = reserved.body.result.events[0];
    assert.deepEqual(Object.keys(ev), [
      'ID',
      'TIMESTAMP_X',
      'EVENT_NAME',
      'EVENT_DATA',
      'EVENT_ADDITIONAL',
      'MESSAGE_ID',
    ]);

    // reserved records are hidden from other readers, but a new change makes a new record
    assert.equal((await h.call('event.offline.get', { clear: 0 })).body.result.events.length, 0);
    await h.call('crm.item.update', { entityTypeId: 1, id: 1001, fields: { assignedById: 2 } });
    const other = await h.call('event.offline.get', { clear: 0 });
    assert.equal(other.body.result.events.length, 1);
    assert.notEqual(other.body.result.process_id, pid);

    const again = await h.call('event.offline.get', { process_id: pid, clear: 0 });
    assert.deepEqual(
      again.body.result.events.map((e: any) => e.ID),
      [ev.ID],
    );
    assert.equal((await h.call('event.offline.clear', { process_id: pid })).body.result, true);
    const left = await h.call('event.offline.list');
    assert.equal(left.body.total, 1);
    assert.equal(left.body.result[0].PROCESS_ID, other.body.result.process_id);
  });

  it('clear=1 deletes on read; error marks records for error=1 reads', async () => {
    h = await startHarness();
    await h.call('event.bind', { event: 'ONCRMLEADADD', event_type: 'offline' });
    h.emu.sim.addLead({ title: 'a' });
    h.emu.sim.addLead({ title: 'b' });
    const reserved = await h.call('event.offline.get', { clear: 0, limit: 1 });
    assert.equal(reserved.body.result.events.length, 1);
    const pid = reserved.body.result.process_id;
    await h.call('event.offline.error', {
      process_id: pid,
      message_id: [reserved.body.result.events[0].MESSAGE_ID],
    });
    const errors = await h.call('event.offline.get', { error: 1, clear: 1 });
    assert.equal(errors.body.result.events.length, 1);
    assert.equal(errors.body.result.process_id, null);
    const rest = await h.call('event.offline.get');
    assert.equal(rest.body.result.events.length, 1);
    assert.equal((await h.call('event.offline.list')).body.total, 0);
  });

  it('skips records of writes made with the same auth_connector', async () => {
    h = await startHarness();
    await h.call('event.bind', {
      event: 'ONCRMLEADUPDATE',
      event_type: 'offline',
      auth_connector: 'dispatcher',
    });
    await h.call('crm.item.update', {
      entityTypeId: 1,
      id: 1001,
      fields: { assignedById: 3 },
      auth_connector: 'dispatcher',
    });
    assert.equal((await h.call('event.offline.list', { auth_connector: 'dispatcher' })).body.total, 0);
    await h.call('crm.item.update', { entityTypeId: 1, id: 1001, fields: { assignedById: 6 } });
    assert.equal((await h.call('event.offline.list', { auth_connector: 'dispatcher' })).body.total, 1);
    assert.equal((await h.call('event.offline.list')).body.total, 0);
  });

  it('pings ONOFFLINEEVENT once per hit with minTimeout 0, and refuses non-admins', async () => {
    h = await startHarness();
    await h.call('event.bind', { event: 'ONCRMLEADUPDATE', event_type: 'offline' });
    await h.call('event.bind', { event: 'ONCRMLEADADD', event_type: 'offline' });
    await h.call('event.bind', {
      event: 'ONOFFLINEEVENT',
      handler: `${h.app.url}/ping`,
      options: { minTimeout: 0 },
    });
    await h.call('batch', {
      cmd: [
        'crm.item.add?entityTypeId=1&fields[title]=x',
        'crm.item.update?entityTypeId=1&id=1001&fields[assignedById]=3',
      ],
    });
    await h.emu.idle();
    const pings = h.app.received.filter((r) => r.path === '/ping');
    assert.equal(pings.length, 1);
    assert.equal(pings[0].body.event, 'ONOFFLINEEVENT');
    assert.equal(typeof pings[0].body.auth.refresh_token, 'string');
    const user = h.emu.issueUserToken(3);
    const denied = await h.call('event.offline.get', {}, user);
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error, 'ACCESS_DENIED');
  });
});
