import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chatFollowsCrm, crmFollowsChat, itemFollows } from '../../src/owner/policy.ts';

const person = { byPerson: true, at: 1_000 };
const app = { byPerson: false, at: 1_000 };
const crmMark = (at: number) => ({ side: 'crm' as const, ownerId: 5, byId: 1, at });
const chatMark = (at: number) => ({ side: 'chat' as const, ownerId: 5, byId: null, at });

test('off: nothing follows anything', () => {
  assert.deepEqual(crmFollowsChat('off', person, undefined), { follow: false, why: 'off' });
  assert.deepEqual(chatFollowsCrm('off', person, undefined), { follow: false, why: 'off' });
});

test('a person’s change on either side is followed under both policies', () => {
  for (const policy of ['chat', 'crm'] as const) {
    assert.deepEqual(crmFollowsChat(policy, person, undefined), { follow: true, why: 'person' });
    assert.deepEqual(chatFollowsCrm(policy, person, undefined), { follow: true, why: 'person' });
  }
});

test('the app’s chat moves take the CRM owner along only where the chat leads; a robot’s CRM change moves the chat only where the CRM leads', () => {
  assert.deepEqual(crmFollowsChat('chat', app, undefined), { follow: true, why: 'chat_leads' });
  assert.deepEqual(crmFollowsChat('crm', app, undefined), { follow: false, why: 'crm_leads' });
  assert.deepEqual(chatFollowsCrm('crm', app, undefined), { follow: true, why: 'crm_leads' });
  assert.deepEqual(chatFollowsCrm('chat', app, undefined), { follow: false, why: 'chat_leads' });
});

test('the last person’s change wins: an older change on one side does not undo a newer one on the other', () => {
  assert.deepEqual(crmFollowsChat('chat', person, crmMark(2_000)), {
    follow: false,
    why: 'later_person_change',
  });
  assert.deepEqual(crmFollowsChat('chat', person, crmMark(500)), { follow: true, why: 'person' });
  // A mark on the same side is not the other side's change.
  assert.deepEqual(crmFollowsChat('chat', person, chatMark(2_000)), { follow: true, why: 'person' });
  assert.deepEqual(chatFollowsCrm('crm', person, chatMark(2_000)), {
    follow: false,
    why: 'later_person_change',
  });
  assert.deepEqual(chatFollowsCrm('crm', person, chatMark(999)), { follow: true, why: 'person' });
});

test('per item: already there; after the app’s move, a person’s choice elsewhere stands; a person’s move takes everything', () => {
  assert.equal(itemFollows({ byPerson: false, from: 2, to: 3 }, 3, false), 'already');
  assert.equal(itemFollows({ byPerson: false, from: 2, to: 3 }, 2, false), 'follow');
  assert.equal(
    itemFollows({ byPerson: false, from: 2, to: 3 }, 2, true),
    'follow',
    'with the chat before: it goes along',
  );
  assert.equal(itemFollows({ byPerson: false, from: 2, to: 3 }, 4, true), 'person_choice_stands');
  assert.equal(itemFollows({ byPerson: false, from: 2, to: 3 }, 4, false), 'follow');
  assert.equal(itemFollows({ byPerson: true, from: 2, to: 3 }, 4, true), 'follow');
});
