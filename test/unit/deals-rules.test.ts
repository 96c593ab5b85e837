import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEAL_KIND, dealQueueFor, keepsLeadOwner, LEAD_KIND } from '../../src/crm/kind.ts';
import type { LeadFacts } from '../../src/crm/lead-read.ts';
import { dealSettingsSchema } from '../../src/settings/deals.ts';

const facts = (f: Partial<LeadFacts>): LeadFacts => ({
  id: 1,
  assignedById: 1,
  createdById: 1,
  statusId: 'P',
  sourceId: '',
  contactId: 0,
  companyId: 0,
  hasPhone: false,
  hasEmail: false,
  userCode: null,
  lineId: null,
  categoryId: 0,
  sourceLeadId: 0,
  ...f,
});

const settings = dealSettingsSchema.parse({
  enabled: true,
  routes: [
    { name: 'Wholesale web', categoryIds: [1], sources: ['WEB'], keepLeadOwner: false },
    { name: 'Wholesale', categoryIds: [1] },
    { name: 'Calls', sources: ['CALL'] },
  ],
});

test('a deal’s queue: the first route whose pipelines and sources both match; none → the default', () => {
  assert.equal(dealQueueFor(settings, facts({ categoryId: 1, sourceId: 'WEB' })).id, 'deals:Wholesale web');
  assert.equal(dealQueueFor(settings, facts({ categoryId: 1, sourceId: 'CALL' })).id, 'deals:Wholesale');
  assert.equal(dealQueueFor(settings, facts({ categoryId: 0, sourceId: 'CALL' })).id, 'deals:Calls');
  assert.equal(dealQueueFor(settings, facts({ categoryId: 2, sourceId: 'EMAIL' })).id, 'deals:default');
  // An unreadable pipeline matches only routes that name none.
  assert.equal(dealQueueFor(settings, facts({ categoryId: null, sourceId: 'CALL' })).id, 'deals:Calls');
});

test('keeping the lead’s person: the route’s own word, else the deals’ default', () => {
  const web = dealQueueFor(settings, facts({ categoryId: 1, sourceId: 'WEB' }));
  const wholesale = dealQueueFor(settings, facts({ categoryId: 1 }));
  assert.equal(keepsLeadOwner(settings, web), false);
  assert.equal(keepsLeadOwner(settings, wholesale), true);
  const off = { ...settings, keepLeadOwner: false };
  assert.equal(keepsLeadOwner(off, wholesale), false);
  assert.equal(keepsLeadOwner(off, dealQueueFor(off, facts({}))), false);
});

test('what counts as open and where the register looks: a lead’s stage, a deal’s stage group', () => {
  assert.deepEqual(DEAL_KIND.openStatuses(settings), ['P']);
  assert.equal(DEAL_KIND.statusField, 'stageSemanticId');
  assert.equal(LEAD_KIND.statusField, 'stageId');
  const parsed = DEAL_KIND.parse({
    item: {
      id: 7,
      assignedById: 3,
      createdBy: 1,
      stageId: 'C1:WON',
      stageSemanticId: 'S',
      categoryId: 1,
      leadId: 12,
    },
  });
  assert.deepEqual(
    [parsed?.statusId, parsed?.categoryId, parsed?.sourceLeadId, parsed?.userCode],
    ['S', 1, 12, null],
  );
});

test('a deal whose responsible a person chose is left alone; the portal’s default (the creator) is not a choice', () => {
  assert.equal(
    DEAL_KIND.leaveAloneWhy(settings, facts({ assignedById: 4, createdById: 2 }), null),
    'responsible_chosen',
  );
  assert.equal(DEAL_KIND.leaveAloneWhy(settings, facts({ assignedById: 2, createdById: 2 }), null), null);
  const off = { ...settings, skipIfResponsibleChosen: false };
  assert.equal(DEAL_KIND.leaveAloneWhy(off, facts({ assignedById: 4, createdById: 2 }), null), null);
});
