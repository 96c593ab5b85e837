/**
 * Job results and failures as the page words them: the server hands over what each one is (a
 * counter by name, an error by kind) and the page says it in the viewer's language (views/i18n.json:
 * `counter_<name>`, `error_<kind>`, `event_<NAME>`). The technical text stays available as a
 * `detail` the page shows only on hover, never as the line itself.
 */

export type ErrorKind =
  | 'access_denied'
  | 'rate_limit'
  | 'unreachable'
  | 'auth_lost'
  | 'no_handler'
  | 'not_found'
  | 'lease_held'
  | 'portal_error'
  | 'other';

/** What kind of failure a message (a portal error, a network error, the app's own) describes. */
export function errorKind(message: string | null | undefined): ErrorKind {
  const m = String(message ?? '');
  if (/no handler/i.test(m)) return 'no_handler';
  if (/lease held|another process/i.test(m)) return 'lease_held';
  if (/QUERY_LIMIT_EXCEEDED|rate.?limit|\b429\b|\b503\b|OPERATION_TIME_LIMIT/i.test(m)) return 'rate_limit';
  if (/ACCESS_DENIED|insufficient_scope|\b403\b|forbidden/i.test(m)) return 'access_denied';
  if (/expired_token|invalid_token|NO_AUTH_FOUND|invalid_grant|auth.?lost|\b401\b/i.test(m))
    return 'auth_lost';
  if (
    /ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN|fetch failed|socket hang up|timed? ?out|network/i.test(
      m,
    )
  )
    return 'unreachable';
  if (/NOT_FOUND|not found|\b404\b/i.test(m)) return 'not_found';
  if (/\b[A-Z][A-Z_]{3,}\b/.test(m)) return 'portal_error';
  return 'other';
}

export interface JobResultView {
  /** the run's counters (numbers only, zeros included: the page leaves those out) */
  counters: Record<string, number>;
  /** the run failed: what kind of failure, and its technical text for the hover */
  error?: ErrorKind;
  /** the run did nothing on purpose (another process held the job, the process was stopping) */
  skipped?: ErrorKind | 'stopping';
  /** a daily job that was not due yet, and why (reclaim: before the portal's day began…) */
  notDue?: string;
  detail?: string;
}

/** A job run's journal summary as the page shows it: nothing nested, nothing technical up front. */
export function jobResultView(summary: unknown): JobResultView {
  const out: JobResultView = { counters: {} };
  if (!summary || typeof summary !== 'object') return out;
  const s = summary as Record<string, unknown>;
  for (const [k, v] of Object.entries(s)) {
    if (typeof v === 'number' && Number.isFinite(v)) out.counters[k] = v;
  }
  if (typeof s.error === 'string') {
    out.error = errorKind(s.error);
    out.detail = s.error.slice(0, 300);
  }
  if (typeof s.skipped === 'string') {
    out.skipped = /not started/i.test(s.skipped) ? 'stopping' : errorKind(s.skipped);
    out.detail = s.skipped.slice(0, 300);
  }
  if (s.due === false && typeof s.why === 'string') out.notDue = s.why;
  return out;
}
