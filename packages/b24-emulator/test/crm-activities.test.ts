import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { portalClock } from '../src/index.ts';
import { type Harness, startHarness } from './helpers.ts';

/** crm.activity.*, the lead's movedBy/lastActivityBy, im.notify.system.add and the portal clock. */
describe('emulator: activities, first-touch fields, notifications, time', () => {
  const clock = portalClock({ start: '2030-05-06T09:00:00+03:00' });
  let h: Harness;
  let leadId: number;
  before(async () => {
    h = await startHarness({ language: 'en', clock: clock.now });
    leadId = h.emu.sim.addLead({ title: 'Web form', name: 'Olga', lastName: 'Lebedeva', assignedById: 3 });
  });
  after(() => h.stop());

  it('crm.activity.add makes the caller the author and answers the id', async () => {
    const token3 = h.emu.issueUserToken(3);
    clock.advance(60_000);
    const add = await h.call(
      'crm.activity.add',
      {
        fields: {
          OWNER_TYPE_ID: 1,
          OWNER_ID: leadId,
          TYPE_ID: 2,
          SUBJECT: 'Outgoing call',
          DIRECTION: 2,
          COMPLETED: 'Y',
          RESPONSIBLE_ID: 3,
          AUTHOR_ID: 1,
          COMMUNICATIONS: [{ VALUE: '+79990000000', ENTITY_ID: leadId, ENTITY_TYPE_ID: 1 }],
        },
      },
      token3,
    );
    assert.equal(add.status, 200, JSON.stringify(add.body));
    assert.equal(typeof add.body.result, 'number');
    const got = await h.call('crm.activity.get', { id: add.body.result });
    assert.equal(got.body.result.AUTHOR_ID, '3');
    assert.equal(got.body.result.OWNER_ID, String(leadId));
    assert.equal(got.body.result.COMPLETED, 'Y');
    assert.match(got.body.result.CREATED, /^2030-05-06T09:01:00\+03:00$/);
    // The lead's "last interaction in the timeline" follows the author.
    const lead = await h.call('crm.item.get', { entityTypeId: 1, id: leadId });
    assert.equal(lead.body.result.item.lastActivityBy, 3);
    assert.equal(lead.body.result.item.lastActivityTime, '2030-05-06T09:01:00+03:00');
  });

  it('crm.activity.add refuses what the docs refuse, with an empty code and the reason', async () => {
    const noSubject = await h.call('crm.activity.add', {
      fields: {
        OWNER_TYPE_ID: 1,
        OWNER_ID: leadId,
        TYPE_ID: 2,
        RESPONSIBLE_ID: 3,
        COMMUNICATIONS: [{ VALUE: 'x' }],
      },
    });
    assert.equal(noSubject.status, 400);
    assert.deepEqual(noSubject.body, {
      error: '',
      error_description: 'The field SUBJECT is not defined or empty',
    });
    const noComms = await h.call('crm.activity.add', {
      fields: { OWNER_TYPE_ID: 1, OWNER_ID: leadId, TYPE_ID: 2, SUBJECT: 's', RESPONSIBLE_ID: 3 },
    });
    assert.equal(noComms.body.error_description, 'The field COMMUNICATIONS is not defined or invalid');
    const noOwner = await h.call('crm.activity.add', {
      fields: {
        OWNER_TYPE_ID: 1,
        OWNER_ID: 999_999,
        TYPE_ID: 2,
        SUBJECT: 's',
        RESPONSIBLE_ID: 3,
        COMMUNICATIONS: [{ VALUE: 'x' }],
      },
    });
    assert.match(noOwner.body.error_description, /Could not build binding/);
  });

  it('crm.activity.list filters by owners, authors, direction and date, pages by 50, selects', async () => {
    const other = h.emu.sim.addLead({ title: 'Second', assignedById: 4 });
    clock.advance(60_000);
    h.emu.sim.addActivity({ ownerId: other, authorId: 4, typeId: 4 });
    h.emu.sim.addActivity({ ownerId: other, authorId: 4, direction: 1 });
    h.emu.sim.addActivity({ ownerId: leadId, authorId: 5 });
    const r = await h.call('crm.activity.list', {
      filter: {
        OWNER_TYPE_ID: 1,
        '@OWNER_ID': [leadId, other],
        '@AUTHOR_ID': [3, 4],
        '!DIRECTION': 1,
        COMPLETED: 'Y',
        '>=CREATED': '2030-05-06T06:00:30Z',
      },
      select: ['ID', 'OWNER_ID', 'AUTHOR_ID', 'CREATED', 'TYPE_ID'],
      order: { ID: 'ASC' },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(
      r.body.result.map((a: Record<string, string>) => [a.OWNER_ID, a.AUTHOR_ID, a.TYPE_ID]),
      [
        [String(leadId), '3', '2'],
        [String(other), '4', '4'],
      ],
    );
    assert.deepEqual(Object.keys(r.body.result[0]).sort(), [
      'AUTHOR_ID',
      'CREATED',
      'ID',
      'OWNER_ID',
      'TYPE_ID',
    ]);
    assert.equal(r.body.total, 2);
    const later = await h.call('crm.activity.list', { filter: { '>CREATED': '2030-05-06T09:01:30+03:00' } });
    assert.equal(later.body.total, 3, 'only the three made a minute later');
    for (let i = 0; i < 60; i++) h.emu.sim.addActivity({ ownerId: other, authorId: 4 });
    const p1 = await h.call('crm.activity.list', { filter: { OWNER_ID: other } });
    assert.equal(p1.body.result.length, 50);
    assert.equal(p1.body.next, 50);
    const p2 = await h.call('crm.activity.list', { filter: { OWNER_ID: other }, start: 50 });
    assert.equal(p2.body.result.length, 12);
    assert.equal(p2.body.next, undefined);
    const bad = await h.call('crm.activity.list', { filter: { NOPE: 1 } });
    assert.equal(bad.status, 400);
  });

  it('a stage change names who moved it; other updates do not', async () => {
    clock.advance(60_000);
    h.emu.sim.updateLead(leadId, { title: 'Renamed' }, 4);
    let item = (await h.call('crm.item.get', { entityTypeId: 1, id: leadId })).body.result.item;
    assert.notEqual(item.movedBy, 4);
    h.emu.sim.updateLead(leadId, { stageId: 'IN_PROCESS' }, 3);
    item = (await h.call('crm.item.get', { entityTypeId: 1, id: leadId })).body.result.item;
    assert.equal(item.movedBy, 3);
    assert.equal(item.movedTime, '2030-05-06T09:03:00+03:00');
    const listed = await h.call('crm.item.list', {
      entityTypeId: 1,
      filter: { '@id': [leadId] },
      select: ['id', 'movedBy', 'movedTime', 'lastActivityBy', 'lastActivityTime'],
    });
    assert.equal(listed.body.result.items[0].movedBy, 3);
    assert.equal(listed.body.result.items[0].lastActivityBy, 5);
  });

  it('im.notify.system.add records notifications; a repeated TAG replaces the earlier one', async () => {
    const first = await h.call('im.notify.system.add', { USER_ID: 3, MESSAGE: 'Lead waits', TAG: 't1' });
    assert.equal(first.status, 200);
    assert.equal(typeof first.body.result, 'number');
    await h.call('im.notify.system.add', { USER_ID: 4, MESSAGE: 'Other person', TAG: 't1' });
    await h.call('im.notify.system.add', { USER_ID: 3, MESSAGE: 'Lead waits (again)', TAG: 't1' });
    assert.deepEqual(
      h.emu.sim.notificationsFor(3).map((n) => n.message),
      ['Lead waits (again)'],
    );
    assert.equal(h.emu.sim.notificationsFor(4).length, 1);
    assert.equal(h.emu.state.notifications.length, 3);
    const noUser = await h.call('im.notify.system.add', { MESSAGE: 'x' });
    assert.deepEqual(noUser.body, { error: 'USER_ID_EMPTY', error_description: "User ID can't be empty" });
    const noText = await h.call('im.notify.system.add', { USER_ID: 3, MESSAGE: '  ' });
    assert.equal(noText.body.error, 'MESSAGE_EMPTY');
  });

  it('a batch carries notifications and activity reads like any other command', async () => {
    const r = await h.call('batch', {
      halt: 0,
      cmd: {
        n: 'im.notify.system.add?USER_ID=5&MESSAGE=Hello&TAG=b1',
        a: `crm.activity.list?filter[OWNER_ID]=${leadId}&select[]=ID`,
      },
    });
    assert.equal(r.status, 200);
    assert.equal(typeof r.body.result.result.n, 'number');
    assert.ok(Array.isArray(r.body.result.result.a));
    assert.ok(r.body.result.result_total.a >= 2);
  });
});
