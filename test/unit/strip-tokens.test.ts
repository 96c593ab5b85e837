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
    auth: { member_id: 'm1', domain: 'x.bitrix24.ru' },
    data: {
      BOT: { '7': { BOT_ID: '7', BOT_CODE: 'dispatcher' } },
      bot: { id: '7' },
      PARAMS: { DIALOG_ID: 'chat5' },
    },
  });
  assert.doesNotMatch(JSON.stringify(stored), /-at|-rt|"app"/);
  assert.deepEqual(body, before, 'the parsed body itself is left as it was');
});
