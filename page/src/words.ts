import all from '../../views/i18n.json';
import { boot } from './boot.ts';

/**
 * Every word the page shows, Russian and English, from views/i18n.json (the server's own pages
 * read the same file). Nothing the page shows comes from a key, a counter name or JSON as it
 * is: each has its word here, and a browser test walks every view in both languages to check.
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

export function fmtTime(ms: number | null | undefined): string {
  return ms
    ? new Date(ms).toLocaleString(locale, {
        day: '2-digit',
        month: 'short',
        hour: '2-digit',
        minute: '2-digit',
      })
    : '—';
}
export function fmtClock(ms: number): string {
  return new Date(ms).toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
}
export function fmtAge(sec: number): string {
  if (sec < 60) return t('age_sec', { n: sec });
  const m = Math.floor(sec / 60);
  if (m < 60) return t('age_min', { n: m });
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return t('age_hour', { h: hrs, m: m % 60 });
  return t('age_day', { n: Math.floor(hrs / 24) });
}
export function fmtSeconds(sec: number | null): string {
  if (sec === null) return '—';
  return sec < 120 ? t('seconds_n', { n: Math.round(sec) }) : fmtAge(Math.round(sec));
}

/** Why an operator gets nothing now (the engine's IneligibleWhy), or "available". */
export const whyText = (why: string | null | undefined): string => (why ? word('why', why) : t('available'));

/** `prefix_value`, or a plain "other" word when the value is new to this page. */
export function word(prefix: string, value: string): string {
  const key = `${prefix}_${value}`;
  return has(key) ? t(key) : t(`${prefix}_other`);
}

export interface FieldError {
  path: string;
  message: string;
  code: string;
  key?: string;
  limit?: number;
  origin?: string;
}

/** A refused field in the viewer's language: the schemas' own checks by key, zod's by code and bound. */
export function errorText(f: FieldError): string {
  if (f.key && has(f.key)) return t(f.key);
  if (f.code === 'too_small' && f.origin === 'string' && f.limit === 1) return t('err_empty');
  if (f.code === 'too_small' && f.origin === 'number') return t('err_min', { n: f.limit ?? 0 });
  if (f.code === 'too_big' && f.origin === 'number') return t('err_max', { n: f.limit ?? 0 });
  if (f.code === 'too_small' && f.origin === 'array') return t('err_min_items', { n: f.limit ?? 0 });
  if (f.code === 'too_big' && f.origin === 'array') return t('err_max_items', { n: f.limit ?? 0 });
  if (f.code === 'invalid_type') return t('err_type');
  if (f.code === 'invalid_value') return t('err_value');
  return t('err_other');
}

/** A job's name in words (the CONTRACT's job names). */
export const jobName = (job: string): string => word('job', job);

/**
 * A job run's result: each counter it reports, in words ("leads added: 3"), zeros left out;
 * an error as the job's own message is not shown to people (it is in the server's log).
 */
export function jobResult(summary: Record<string, unknown> | null): string {
  if (!summary || typeof summary !== 'object') return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(summary)) {
    if (k === 'error') {
      parts.push(t('job_result_error'));
      continue;
    }
    if (typeof v !== 'number' || v === 0) continue;
    const key = `counter_${k}`;
    parts.push(has(key) ? t(key, { n: v }) : t('counter_other', { n: v }));
  }
  return parts.length ? parts.join(' · ') : t('job_result_nothing');
}
