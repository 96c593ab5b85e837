import type { WorkdayStatus } from '../engine/index.ts';

/**
 * Readers of the portal's user data. Values arrive as the portal sends them (strings, "Y"/"N",
 * booleans, dates in the portal's format); everything is normalised here and nowhere else.
 */

const WORKDAYS: readonly WorkdayStatus[] = ['OPENED', 'PAUSED', 'CLOSED', 'EXPIRED'];

export interface UserRow {
  id: number;
  name: string;
  active: boolean;
  /** null when the row has no IS_ONLINE (a narrower user scope) */
  online: boolean | null;
  departments: number[];
  timeZone: string | null;
}

export function yes(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  const s = String(v ?? '').toLowerCase();
  return s === 'y' || s === 'true' || s === '1';
}

export function toInt(v: unknown): number | null {
  if (v === undefined || v === null || v === '' || typeof v === 'boolean') return null;
  const n = typeof v === 'number' ? v : Number(String(v).trim());
  return Number.isInteger(n) ? n : null;
}

function list(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object') return Object.values(v);
  if (v === undefined || v === null || v === '' || v === false) return [];
  return [v];
}

/** One row of `user.get`. Rows without a numeric ID are dropped (null). */
export function parseUserRow(row: any): UserRow | null {
  const id = toInt(row?.ID);
  if (id === null || id <= 0) return null;
  const name = [row.NAME, row.LAST_NAME]
    .map((s: unknown) => String(s ?? '').trim())
    .filter(Boolean)
    .join(' ');
  const tz = typeof row.TIME_ZONE === 'string' && row.TIME_ZONE.trim() !== '' ? row.TIME_ZONE.trim() : null;
  return {
    id,
    name: name || `#${id}`,
    // ACTIVE comes as a boolean in the docs' examples; older portals send "Y"/"N".
    active: row.ACTIVE === undefined ? true : yes(row.ACTIVE),
    online: row.IS_ONLINE === undefined ? null : yes(row.IS_ONLINE),
    departments: list(row.UF_DEPARTMENT)
      .map(toInt)
      .filter((d): d is number => d !== null && d > 0),
    timeZone: tz,
  };
}

/** `timeman.status` STATUS, or null when the answer carries none we know. */
export function parseWorkday(result: any): WorkdayStatus | null {
  const s = String(result?.STATUS ?? '').toUpperCase();
  return (WORKDAYS as readonly string[]).includes(s) ? (s as WorkdayStatus) : null;
}

/**
 * im `absent`: `false` when not absent, else the end of the absence. A bare date means the whole
 * day (absent until the end of it, portal time is not known here so UTC is used); anything we
 * cannot read counts as not absent rather than blocking an operator forever.
 */
export function parseAbsent(v: unknown): number | null {
  if (v === undefined || v === null || v === false || v === '' || v === 'N' || v === '0') return null;
  const s = String(v).trim();
  const dmy = /^(\d{2})\.(\d{2})\.(\d{4})$/.exec(s);
  if (dmy) return Date.UTC(Number(dmy[3]), Number(dmy[2]) - 1, Number(dmy[1])) + 86_400_000;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return Date.parse(`${s}T00:00:00Z`) + 86_400_000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? null : t;
}

/** `im.user.list.get` answers an object keyed by id (or an array with RESULT_TYPE=array). */
export function imUsers(result: unknown): Map<number, any> {
  const out = new Map<number, any>();
  for (const item of list(result)) {
    const id = toInt((item as any)?.id);
    if (id !== null) out.set(id, item);
  }
  return out;
}
