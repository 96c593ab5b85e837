import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { defaultSeed } from '../src/index.ts';
import { type Harness, startHarness } from './helpers.ts';

const seed = { ...defaultSeed('ru'), dealCategories: [{ id: 1, name: 'Wholesale' }] };

/** Deals and their pipelines: crm.item.* with entityTypeId 2, crm.category.list, the deal events. */
describe('emulator deals', () => {
  let h: Harness;
  afterEach(() => h?.stop());

  const events = (name: string) => h.app.received.filter((r) => r.body.event === name);

  it('lists pipelines and creates deals in them; an unknown pipeline is refused', async () => {
    h = await startHarness({ seed });
    const list = await h.call('crm.category.list', { entityTypeId: 2 });
    assert.deepEqual(
      list.body.result.categories.map((c: Record<string, unknown>) => [c.id, c.name, c.isDefault]),
      [
        [0, 'Общая', 'Y'],
        [1, 'Wholesale', 'N'],
      ],
    );
    assert.deepEqual((await h.call('crm.category.list', { entityTypeId: 1 })).body.result.categories, []);
    const add = await h.call('crm.item.add', {
      entityTypeId: 2,
      fields: { title: 'Big order', categoryId: 1 },
    });
    assert.equal(add.status, 200);
    const item = add.body.result.item;
    assert.equal(item.categoryId, 1);
    assert.equal(item.stageId, 'C1:NEW');
    assert.equal(item.stageSemanticId, 'P');
    assert.equal(item.closed, 'N');
    const bad = await h.call('crm.item.add', { entityTypeId: 2, fields: { categoryId: 9 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'CATEGORY_NOT_FOUND');
  });

  it('fires ONCRMDEALADD and ONCRMDEALUPDATE like the lead events, and ONCRMDEALMOVETOCATEGORY with the new pipeline', async () => {
    h = await startHarness({ seed });
    for (const event of ['ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONCRMDEALMOVETOCATEGORY']) {
      assert.equal(
        (await h.call('event.bind', { event, handler: `${h.app.url}/events` })).status,
        200,
        event,
      );
    }
    const id = h.emu.sim.addDeal({ title: 'Deal', createdById: 2, assignedById: 2 });
    await h.emu.idle();
    const [added] = events('ONCRMDEALADD');
    assert.deepEqual(added.body.data, { FIELDS: { ID: String(id) } });
    assert.match(
      added.raw,
      /^event=ONCRMDEALADD&event_handler_id=\d+&data%5BFIELDS%5D%5BID%5D=\d+&ts=\d+&auth%5B/,
    );

    await h.call('crm.item.update', { entityTypeId: 2, id, fields: { categoryId: 1 } });
    await h.emu.idle();
    const [moved] = events('ONCRMDEALMOVETOCATEGORY');
    assert.deepEqual(moved.body.data, { FIELDS: { ID: String(id), CATEGORY_ID: '1', STAGE_ID: 'C1:NEW' } });
    assert.equal(
      events('ONCRMDEALUPDATE').length,
      0,
      'a move alone is not an update (DEAL_CATEGORY_CHANGE_EVENTS)',
    );

    await h.call('crm.item.update', { entityTypeId: 2, id, fields: { stageId: 'C1:WON' } });
    await h.emu.idle();
    assert.equal(events('ONCRMDEALUPDATE').length, 1);
    const get = await h.call('crm.item.get', { entityTypeId: 2, id });
    assert.equal(get.body.result.item.stageSemanticId, 'S');
    assert.equal(get.body.result.item.closed, 'Y');
  });

  it('filters deals by stage group and pipeline, and takes timeline comments on deals', async () => {
    h = await startHarness({ seed });
    const open = h.emu.sim.addDeal({ title: 'Open', assignedById: 2 });
    const won = h.emu.sim.addDeal({ title: 'Won', assignedById: 2 });
    h.emu.sim.updateDeal(won, { stageId: 'WON' });
    h.emu.sim.addDeal({ title: 'Other pipeline', assignedById: 2, categoryId: 1 });
    const list = await h.call('crm.item.list', {
      entityTypeId: 2,
      filter: { '@assignedById': [2], '@stageSemanticId': ['P'], categoryId: 0 },
      select: ['id', 'assignedById', 'stageSemanticId'],
    });
    assert.deepEqual(list.body.result.items, [{ id: open, assignedById: 2, stageSemanticId: 'P' }]);
    const c = await h.call('crm.timeline.comment.add', {
      fields: { ENTITY_ID: open, ENTITY_TYPE: 'deal', COMMENT: 'Why' },
    });
    assert.equal(c.status, 200);
    const comments = await h.call('crm.timeline.comment.list', {
      filter: { ENTITY_ID: open, ENTITY_TYPE: 'deal' },
    });
    assert.deepEqual(
      comments.body.result.map((x: Record<string, unknown>) => x.COMMENT),
      ['Why'],
    );
  });

  it('converting a lead makes a deal that names the lead and copies its responsible (DEAL_CONVERSION_COPIES_RESPONSIBLE)', async () => {
    h = await startHarness();
    await h.call('event.bind', { event: 'ONCRMDEALADD', handler: `${h.app.url}/events` });
    await h.call('event.bind', { event: 'ONCRMLEADUPDATE', handler: `${h.app.url}/events` });
    const leadId = h.emu.sim.addLead({ title: 'Inbound', assignedById: 3 });
    const dealId = h.emu.sim.convertLead(leadId, 1);
    await h.emu.idle();
    const deal = (await h.call('crm.item.get', { entityTypeId: 2, id: dealId })).body.result.item;
    assert.equal(deal.leadId, leadId);
    assert.equal(deal.assignedById, 3);
    assert.equal(deal.createdBy, 1);
    assert.equal(h.emu.state.crm.leads.get(leadId)?.stageId, 'CONVERTED');
    assert.equal(events('ONCRMDEALADD').length, 1);
    assert.equal(events('ONCRMLEADUPDATE').length, 1);
  });
});
