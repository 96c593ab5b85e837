import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { SCHEMA_MESSAGES } from '../../src/engine/index.ts';
import { ABSENCE_MESSAGES, ABSENCE_MESSAGES_I18N } from '../../src/settings/absences.ts';
import { DEAL_MESSAGES, DEAL_MESSAGES_I18N } from '../../src/settings/deals.ts';
import { LINE_QUOTA_MESSAGES, LINE_QUOTA_MESSAGES_I18N } from '../../src/settings/line-quota.ts';

const pageWords = JSON.parse(
  readFileSync(new URL('../../views/i18n.json', import.meta.url), 'utf8'),
) as Record<'en' | 'ru', Record<string, string>>;
const words = pageWords;

test('the page has every word in both languages', () => {
  const en = Object.keys(words.en).sort();
  const ru = Object.keys(words.ru).sort();
  assert.deepEqual(
    en.filter((k) => !words.ru[k]),
    [],
    'missing in Russian',
  );
  assert.deepEqual(
    ru.filter((k) => !words.en[k]),
    [],
    'missing in English',
  );
});

test("every check the schemas word themselves has the page's translation in both languages", () => {
  for (const key of Object.keys(SCHEMA_MESSAGES)) {
    assert.ok(words.en[key], `en: ${key}`);
    assert.ok(words.ru[key], `ru: ${key}`);
    assert.notEqual(words.ru[key], words.en[key], `ru: ${key} is not translated`);
  }
});

test('issue 19 settings: every check has its words in both languages, and the page has them too', () => {
  const all: [Record<string, string>, Record<string, { en: string; ru: string }>][] = [
    [DEAL_MESSAGES, DEAL_MESSAGES_I18N],
    [ABSENCE_MESSAGES, ABSENCE_MESSAGES_I18N],
    [LINE_QUOTA_MESSAGES, LINE_QUOTA_MESSAGES_I18N],
  ];
  for (const [key, en] of all.flatMap(([m]) => Object.entries(m))) {
    const words = all.find(([m]) => key in m)![1][key];
    assert.equal(words.en, en);
    assert.ok(words.ru && words.ru !== words.en, `ru: ${key}`);
    assert.equal(pageWords.en[key], words.en, `page en: ${key}`);
    assert.equal(pageWords.ru[key], words.ru, `page ru: ${key}`);
  }
});
