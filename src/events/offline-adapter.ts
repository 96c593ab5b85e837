/**
 * Turns an event.offline.get record into the body an online delivery of the same event
 * would have had, so both streams share dedup keys and handlers.
 *
 * UNVERIFIED (README, "to verify on a real portal"): the docs show EVENT_DATA as `false` and
 * do not say how the object id is encoded for CRM events. We accept EVENT_DATA as an object
 * or a JSON string carrying FIELDS.ID (the online shape) or ID, and fall back to
 * EVENT_ADDITIONAL. A record none of these fit is reported to the portal with
 * event.offline.error instead of being guessed at.
 */
export interface OfflineRecord {
  ID: string | number;
  TIMESTAMP_X?: string;
  EVENT_NAME: string;
  EVENT_DATA?: unknown;
  EVENT_ADDITIONAL?: unknown;
  MESSAGE_ID?: string | number;
}

export function offlineRecordToBody(
  rec: OfflineRecord,
  memberId: string,
): {
  event: string;
  data: { FIELDS: Record<string, string> };
  ts: string;
  auth: { member_id: string };
} | null {
  const fields = fieldsOf(rec.EVENT_DATA) ?? fieldsOf(rec.EVENT_ADDITIONAL);
  if (!fields?.ID) return null;
  const t = rec.TIMESTAMP_X ? Date.parse(rec.TIMESTAMP_X) : Number.NaN;
  return {
    event: String(rec.EVENT_NAME).toUpperCase(),
    data: { FIELDS: Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, String(v)])) },
    ts: Number.isFinite(t) ? String(Math.floor(t / 1000)) : '',
    auth: { member_id: memberId },
  };
}

function fieldsOf(v: unknown): Record<string, unknown> | null {
  let o = v;
  if (typeof o === 'string') {
    try {
      o = JSON.parse(o);
    } catch {
      return null;
    }
  }
  if (!o || typeof o !== 'object') return null;
  const rec = o as Record<string, any>;
  if (rec.FIELDS && typeof rec.FIELDS === 'object' && rec.FIELDS.ID !== undefined) return rec.FIELDS;
  if (rec.ID !== undefined) return { ID: rec.ID };
  return null;
}
