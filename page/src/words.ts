import all from '../../views/i18n.json';
import { boot } from './boot.ts';

/**
 * Every word the page shows, Russian and English, from views/i18n.json (the server's own pages
 * read the same file). Nothing the page shows is a key, a counter name or JSON as it is: each
 * has its word here, and the browser test walks every view in both languages to check.
 */
export type Lang = 'ru' | 'en';
type Dict = Record<string, string>;
const DICTS = all as unknown as Record<Lang, Dict>;

export const lang: Lang = boot.lang;
export const locale = lang === 'ru' ? 'ru-RU' : 'en-GB';
const T: Dict = DICTS[lang];

/** The word for `key`, `{name}` placeholders filled from `vars`; a missing key shows as itself (the test catches it). */
export function t(key: string, vars?: Record<string, string | number>): string {
  let s = Object.hasOwn(T, key) ? T[key] : key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.split(`{${k}}`).join(String(v));
  return s;
}
export const has = (key: string): boolean => Object.hasOwn(T, key);

/** `prefix_value`, or the prefix's "other" word when the value is new to this page. */
export function word(prefix: string, value: string, vars?: Record<string, string | number>): string {
  const key = `${prefix}_${value}`;
  return has(key) ? t(key, vars) : t(`${prefix}_other`, vars);
}

/** Why an operator gets nothing now (the engine's IneligibleWhy), or "available". */
export const whyText = (why: string | null | undefined): string => (why ? word('why', why) : t('available'));

/** What a log entry or a waiting item is about: a dialog, a lead, a deal, a contact. */
export const objectWord = (kind: string): string => (has(kind) ? t(kind) : t('object_other'));
