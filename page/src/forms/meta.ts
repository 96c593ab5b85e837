import { fmtTime } from '../format.ts';
import { nameOf } from '../people.ts';
import { t } from '../words.ts';

/** What GET /api/settings/<scope> answers beside the value. */
export interface Stored<T> {
  value: T;
  stored: boolean;
  updatedAt: number | null;
  updatedBy: number | null;
  updatedByName: string | null;
}

/** "Changed … by …", or "the defaults" when nothing was saved yet. */
export function changedMeta(r: Stored<unknown>): string {
  if (!r.stored) return t('defaults_note');
  return t('changed_by', {
    at: fmtTime(r.updatedAt),
    who: r.updatedByName || (r.updatedBy ? nameOf(r.updatedBy) : '—'),
  });
}
