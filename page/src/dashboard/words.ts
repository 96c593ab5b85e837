import { has, t, word } from '../words.ts';
import type { Dashboard } from './data.ts';

type JobResult = Dashboard['jobs'][number]['result'];

/**
 * A job run's result in words: each counter it reports ("dialogs closed: 3"), zeros left out; a
 * failure or a skip by its kind. A counter new to this page reads as "other changes", never by
 * its name.
 */
export function jobResultText(r: JobResult): string {
  const parts: string[] = [];
  if (r.error) parts.push(word('error', r.error));
  if (r.skipped) parts.push(word('job_skipped', r.skipped));
  if (r.notDue) parts.push(word('not_due', r.notDue));
  let other = 0;
  for (const [k, n] of Object.entries(r.counters)) {
    if (n === 0) continue;
    const key = `counter_${k}`;
    if (has(key)) parts.push(t(key, { n }));
    else other += n;
  }
  if (other) parts.push(t('counter_other', { n: other }));
  return parts.length ? parts.join(' · ') : t('job_result_nothing');
}

/** A portal event by what it means ("a new dialog"), the portal's own name only on hover. */
export const eventText = (event: string): string => word('event', event.toUpperCase());
