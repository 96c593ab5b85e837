import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { leadComment, portalLang } from '../../src/crm/comment.ts';
import {
  clientMatches,
  leadReadCommands,
  linkReadCommands,
  parseLead,
  parseLinks,
} from '../../src/crm/lead-read.ts';
import { anyQueueFindsClient, leaveAloneWhy, queueFor } from '../../src/crm/policy.ts';
import { leadSettingsSchema } from '../../src/settings/schema.ts';

const item = (o: Record<string, unknown> = {}) => ({
  item: {
    id: 10,
    assignedById: 1,
    createdBy: 1,
    stageId: 'NEW',
    sourceId: 'WEB',
    contactId: 0,
    companyId: 0,
    fm: [],
    ...o,
  },
});

describe('reading a lead', () => {
  test('first read, one batch: the lead, and only when a queue needs it, the search by its phone and e-mail', () => {
    assert.deepEqual(Object.keys(leadReadCommands(10, false)), ['lead']);
    const calls = leadReadCommands(10, true);
    assert.deepEqual(Object.keys(calls), ['lead', 'byPhone', 'byEmail']);
    assert.deepEqual(calls.byPhone, [
      'crm.duplicate.findbycomm',
      { type: 'PHONE', values: ['$result[lead][item][phone]'] },
    ]);
  });

  test('facts: creator, status, source, phone/e-mail, and the open line from the IMOL multifield', () => {
    const f = parseLead(
      item({
        createdBy: '3',
        assignedById: '5',
        fm: [
          { typeId: 'PHONE', value: '+7 900' },
          { typeId: 'IM', valueType: 'OPENLINE', value: 'imol|livechat|22|1775|599' },
        ],
      }),
    );
    assert.equal(f?.createdById, 3);
    assert.equal(f?.assignedById, 5);
    assert.equal(f?.hasPhone, true);
    assert.equal(f?.hasEmail, false);
    assert.equal(f?.userCode, 'livechat|22|1775|599');
    assert.equal(f?.lineId, 22);
    assert.equal(parseLead(item({ email: 'a@b.c' }))?.hasEmail, true, 'the flat alias counts too');
    assert.equal(parseLead(item())?.lineId, null);
    assert.equal(parseLead({}), null);
  });

  test('client candidates: own contact first, then phone, then e-mail; searches the lead has no value for are ignored', () => {
    const lead = { ...parseLead(item({ contactId: 4, fm: [{ typeId: 'PHONE', value: '1' }] }))! };
    const read = {
      results: {
        byPhone: { CONTACT: [5, 4], LEAD: [10, 8] },
        // A search run on an unresolved reference: whatever it says, the lead has no e-mail.
        byEmail: { CONTACT: [99], COMPANY: ['7'] },
      },
      errors: {},
    };
    const m = clientMatches(read, lead);
    assert.deepEqual(m, { contact: [4, 5], company: [], lead: [8] });
    assert.deepEqual(linkReadCommands(m), {
      contact: ['crm.item.get', { entityTypeId: 3, id: 4 }],
      lead: ['crm.item.get', { entityTypeId: 1, id: 8 }],
    });
    assert.deepEqual(linkReadCommands(clientMatches({ results: {}, errors: {} }, parseLead(item())!)), {});
  });

  test('links: the responsible of each kind read; unreadable ones are no link', () => {
    const r = {
      results: {
        contact: { item: { id: 4, assignedById: 40 } },
        lead: { item: { id: 8, assignedById: '80' } },
      },
      errors: { company: { error: 'NOT_FOUND', error_description: '' } },
    };
    assert.deepEqual(parseLinks(r), [
      { entity: 'contact', responsibleId: 40 },
      { entity: 'lead', responsibleId: 80 },
    ]);
  });
});

describe('lead rules', () => {
  const settings = leadSettingsSchema.parse({
    routes: [
      { name: 'calls', sources: ['CALL'], rules: { queue: [{ id: 2 }] } },
      { name: 'chat', lineIds: [22], rules: { queue: [{ id: 3 }], responsible: { enabled: true } } },
    ],
  });

  test('the first matching route picks the queue; no match → the default queue', () => {
    assert.equal(queueFor(settings, { sourceId: 'CALL', lineId: null }).id, 'leads:calls');
    assert.equal(queueFor(settings, { sourceId: 'OPENLINE', lineId: 22 }).id, 'leads:chat');
    assert.equal(queueFor(settings, { sourceId: 'WEB', lineId: 23 }).id, 'leads:default');
    assert.equal(queueFor(settings, { sourceId: 'WEB', lineId: null }).route, null);
    assert.equal(anyQueueFindsClient(settings), true);
    assert.equal(anyQueueFindsClient(leadSettingsSchema.parse({})), false);
  });

  test('a responsible other than the creator was chosen by a person; creator as responsible is the portal default', () => {
    const lead = parseLead(item({ assignedById: 5, createdBy: 1 }))!;
    assert.equal(leaveAloneWhy(settings, lead, null), 'responsible_chosen');
    assert.equal(leaveAloneWhy(settings, { ...lead, assignedById: 1 }, null), null);
    const off = { ...settings, skipIfResponsibleChosen: false };
    assert.equal(leaveAloneWhy(off, lead, null), null);
  });

  test('a lead from a dialog the app assigned stays with the dialog’s operator (when configured)', () => {
    const lead = parseLead(item({ fm: [{ typeId: 'IM', value: 'imol|telegram|22|5|6' }] }))!;
    assert.equal(leaveAloneWhy(settings, lead, 7), 'from_assigned_dialog');
    assert.equal(leaveAloneWhy(settings, lead, null), null, 'dialog not assigned by the app');
    assert.equal(leaveAloneWhy({ ...settings, skipIfFromAssignedDialog: false }, lead, 7), null);
  });

  test('the comment names the queue and the rule, in the portal’s language', () => {
    const reason = { rule: 'evenly' as const, operatorId: 3, skipped: { at_capacity: [], unavailable: [] } };
    const en = leadComment('en', null, reason, (id) => (id === 3 ? 'Vera Petrova' : `#${id}`));
    assert.match(en, /^Dispatcher \(default lead queue\): Assigned to Vera Petrova by the rule "evenly"/);
    const ru = leadComment('ru', 'calls', reason);
    assert.match(ru, /^Диспетчер \(очередь «calls»\): Назначено: #3, правило «равномерно»/);
    assert.equal(portalLang('ru'), 'ru');
    assert.equal(portalLang('de'), 'en');
    assert.equal(portalLang(undefined), 'en');
  });
});
