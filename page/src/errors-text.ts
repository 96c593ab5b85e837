import { ApiError } from './api.ts';
import { t } from './words.ts';

/** A failed /api call in words: what went wrong, never the server's code. */
export function apiErrorText(err: unknown): string {
  if (!(err instanceof ApiError)) return t('error_page');
  if (err.status === 0) return t('error_unreachable_app');
  if (err.status === 400) return t('fix_fields');
  if (err.status === 401) return t('session_expired');
  if (err.status === 403) return t('forbidden');
  if (err.status === 503 || err.status === 429) return t('error_rate_limit');
  if (err.status === 502 || err.status === 504) return t('error_unreachable');
  return t('error_server');
}
