import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  authorOfV1,
  authorOfV2,
  botAttached,
  findBot,
  lineIdFromUserCode,
  parseDialog,
  parseEntityData1,
  parseEntityData2,
  parseHistory,
  parseQueue,
  registeredBotId,
} from '../../src/openlines/portal-adapter.ts';

describe('open lines portal adapter', () => {
  test('USER_CODE → line id', () => {
    assert.equal(lineIdFromUserCode('livechat|22|1775|599'), 22);
    assert.equal(lineIdFromUserCode('telegrambot|7|x|y'), 7);
    assert.equal(lineIdFromUserCode('garbage'), null);
    assert.equal(lineIdFromUserCode(''), null);
  });

  test('entity_data_1: session id at position 6, the wait flag at 5', () => {
    assert.deepEqual(parseEntityData1('Y|LEAD|1209|N|N|343|1773682918|0|0|0'), {
      sessionId: 343,
      waitingForClient: false,
    });
    assert.deepEqual(parseEntityData1('N|NONE|0|N|Y|12'), { sessionId: 12, waitingForClient: true });
    assert.deepEqual(parseEntityData1('N|NONE|0'), { sessionId: null, waitingForClient: null });
    assert.deepEqual(parseEntityData1(undefined), { sessionId: null, waitingForClient: null });
  });

  test('entity_data_2: the CRM bindings', () => {
    assert.deepEqual(parseEntityData2('LEAD|1209|COMPANY|0|CONTACT|55|DEAL|0'), {
      LEAD: 1209,
      COMPANY: 0,
      CONTACT: 55,
      DEAL: 0,
    });
    assert.equal(parseEntityData2(''), null);
    assert.equal(parseEntityData2('nonsense'), null);
  });

  test('imopenlines.dialog.get: owner, session, last message, CRM', () => {
    const f = parseDialog({
      id: 10,
      owner: '7',
      entity_id: 'livechat|1|2|3',
      entity_data_1: 'N|NONE|0|N|N|42|1|0|0|0',
      entity_data_2: 'LEAD|0|COMPANY|0|CONTACT|9|DEAL|0',
      last_message_id: '120',
    })!;
    assert.equal(f.ownerId, 7);
    assert.equal(f.sessionId, 42);
    assert.equal(f.lastMessageId, 120);
    assert.equal(f.crm!.CONTACT, 9);
    assert.equal(parseDialog(false), null);
  });

  test('session history: an answer is a staff message at or after the assignment (second precision)', () => {
    const history = {
      message: {
        '5': { id: '5', senderid: '100', date: '2030-01-01T10:00:00+03:00' },
        '6': { id: '6', senderid: '0', date: '2030-01-01T10:00:01+03:00' },
        '7': { id: '7', senderid: '3', date: '2030-01-01T10:00:05+03:00' },
        '8': { id: '8', senderid: '100', date: '2030-01-01T10:00:09+03:00' },
      },
      users: { '100': { connector: true }, '3': { connector: false, bot: false }, '50': { bot: true } },
    };
    const assigned = Date.parse('2030-01-01T10:00:05.400+03:00');
    assert.deepEqual(parseHistory(history, assigned), {
      answeredSince: true,
      lastFrom: 'client',
      lastMessageId: 8,
    });
    const later = Date.parse('2030-01-01T10:00:06+03:00');
    assert.equal(parseHistory(history, later).answeredSince, false);
    assert.deepEqual(parseHistory({ message: [], users: {} }, 0), {
      answeredSince: false,
      lastFrom: null,
      lastMessageId: 0,
    });
  });

  test('bot events: who wrote', () => {
    assert.equal(authorOfV1({ SYSTEM: 'N', FROM_USER_ID: '5' }, { IS_CONNECTOR: 'Y' }), 'client');
    assert.equal(authorOfV1({ SYSTEM: 'N', FROM_USER_ID: '5' }, { IS_CONNECTOR: 'N', IS_BOT: 'N' }), 'staff');
    assert.equal(authorOfV1({ SYSTEM: 'Y', FROM_USER_ID: '0' }, {}), 'system');
    assert.equal(authorOfV2({ isSystem: '0', authorId: '5' }, { connector: '1' }), 'client');
    assert.equal(authorOfV2({ isSystem: '0', authorId: '5' }, { connector: '0', bot: '1' }), 'bot');
    assert.equal(authorOfV2({ isSystem: '0', authorId: '5' }, { connector: '0', bot: '0' }), 'staff');
  });

  test("line queue: config.list.get's CONFIG_QUEUE entries in order, config.get's QUEUE users sorted by QUEUE_FULL", () => {
    const q = parseQueue(
      {
        QUEUE: ['4', '2'],
        QUEUE_FULL: { '4': { USER_ID: '4', SORT: '1' }, '2': { USER_ID: '2', SORT: '0' } },
      },
      [
        { ENTITY_TYPE: 'department', ENTITY_ID: '3' },
        { ENTITY_TYPE: 'user', ENTITY_ID: '2' },
      ],
    );
    assert.deepEqual(q.users, [2, 4]);
    assert.deepEqual(q.entries, [
      { type: 'department', id: 3 },
      { type: 'user', id: 2 },
    ]);
  });

  test('bot registration answers and attachment', () => {
    assert.equal(registeredBotId(17), 17);
    assert.equal(registeredBotId({ bot: { id: 18 } }), 18);
    assert.equal(findBot({ '20': { ID: 20, CODE: 'x' }, '21': { ID: 21, CODE: 'mine' } }, 'mine'), 21);
    assert.equal(findBot([], 'mine'), null);
    const attached = {
      WELCOME_BOT_ENABLE: 'Y',
      WELCOME_BOT_ID: '21',
      WELCOME_BOT_JOIN: 'always',
      WELCOME_BOT_LEFT: 'queue',
    };
    assert.equal(botAttached(attached, 21), true);
    assert.equal(botAttached({ ...attached, WELCOME_BOT_ID: '3' }, 21), false);
    assert.equal(botAttached({ ...attached, WELCOME_BOT_JOIN: 'first' }, 21), false);
  });
});
