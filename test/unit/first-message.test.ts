import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rulesFor } from '../../src/openlines/lines.ts';
import { lineSettingsSchema } from '../../src/settings/schema.ts';

const line = {
  memberId: 'm',
  lineId: 1,
  config: { QUEUE_TYPE: 'evenly', QUEUE_TIME: '60' },
  queue: [2, 3],
  botId: null,
  active: true,
  fetchedAt: 0,
};

test("a line's explicit first-message deadline replaces its pass-on timeout; unset keeps QUEUE_TIME", () => {
  assert.equal(rulesFor(line, lineSettingsSchema.parse({})).passOnAfterSec, 60);
  assert.equal(
    rulesFor(line, lineSettingsSchema.parse({ firstMessage: { seconds: 30 } })).passOnAfterSec,
    30,
  );
  const own = lineSettingsSchema.parse({ useLineSettings: false, firstMessage: { seconds: 45 } });
  assert.equal(rulesFor(line, own).passOnAfterSec, 45);
  assert.equal(lineSettingsSchema.safeParse({ firstMessage: { seconds: 1 } }).success, false);
});
