import assert from 'node:assert/strict';
import { test } from 'node:test';
import { stripTokens } from '../../src/events/intake.ts';

test('event tokens are dropped from what is stored: auth, v1 BOT entries, v2 bot.auth', () => {
  const body = {
    event: 'ONIMBOTMESSAGEADD',
    ts: '1',
    auth: { member_id: 'm1', domain: 'x.bitrix24.ru', access_token: 'user-at', application_token: 'app' },
    data: {
      BOT: { '7': { BOT_ID: '7', BOT_CODE: 'dispatcher', access_token: 'bot-at', refresh_token: 'bot-rt' } },
      bot: { id: '7', auth: { access_token: 'v2-at' } },
      PARAMS: { DIALOG_ID: 'chat5' },
    },
  };
  const before = structuredClone(body);
  const stored = stripTokens(body);
  assert.deepEqual(stored, {
    event: 'ONIMBOTMESSAGEADD',
    ts: '1',
    auth: { member_id: 'm1', domain: 'x.bitrix24.ru', acting_user: 'Y' },
    data: {
      BOT: { '7': { BOT_ID: '7', BOT_CODE: 'dispatcher' } },
      bot: { id: '7' },
      PARAMS: { DIALOG_ID: 'chat5' },
    },
  });
  assert.doesNotMatch(JSON.stringify(stored), /-at|-rt|"app"/);
  assert.deepEqual(body, before, 'the parsed body itself is left as it was');
});

test('whether a person caused the event is kept as a flag, never the token: an automation’s event carries none', () => {
  const robot = stripTokens({
    event: 'ONCRMLEADUPDATE',
    auth: { member_id: 'm1', domain: 'x', application_token: 'app' },
  });
  assert.deepEqual(robot.auth, { member_id: 'm1', domain: 'x' });
  const person = stripTokens({
    event: 'ONCRMLEADUPDATE',
    auth: { member_id: 'm1', domain: 'x', access_token: 'at', refresh_token: 'rt', application_token: 'app' },
  });
  assert.deepEqual(person.auth, { member_id: 'm1', domain: 'x', acting_user: 'Y' });
});
