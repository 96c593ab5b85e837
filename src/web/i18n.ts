import { readFileSync } from 'node:fs';
import { VIEWS_DIR } from './views.ts';

export type Lang = 'ru' | 'en';
export type Dictionary = Record<string, string>;

let cached: Record<Lang, Dictionary> | undefined;

/**
 * The page's words in both languages, from one file (views/i18n.json) that the server uses
 * for its own pages and hands, for the viewer's language, to the browser script.
 */
export function dictionary(lang: Lang): Dictionary {
  cached ??= JSON.parse(readFileSync(`${VIEWS_DIR}i18n.json`, 'utf8')) as Record<Lang, Dictionary>;
  return cached[lang];
}
