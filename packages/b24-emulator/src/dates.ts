/** Date renderings the portal uses on the wire, all in the portal's fixed UTC offset. */

const pad = (n: number, w = 2) => String(Math.trunc(n)).padStart(w, '0');

function shifted(ms: number, offsetMin: number): Date {
  return new Date(ms + offsetMin * 60_000);
}

function offsetSuffix(offsetMin: number): string {
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${sign}${pad(abs / 60)}:${pad(abs % 60)}`;
}

/** `2024-07-18T12:32:31+03:00` — the ISO 8601 form most methods answer with. */
export function isoDate(ms: number, offsetMin: number): string {
  const d = shifted(ms, offsetMin);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${offsetSuffix(offsetMin)}`
  );
}

/** `2024-08-29 10:30:11` (user.get LAST_ACTIVITY_DATE). */
export function sqlDate(ms: number, offsetMin: number): string {
  const d = shifted(ms, offsetMin);
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** `24.08.2023 13:19:39` (user.get TIMESTAMP_X). */
export function dmyDate(ms: number, offsetMin: number): string {
  const d = shifted(ms, offsetMin);
  return (
    `${pad(d.getUTCDate())}.${pad(d.getUTCMonth() + 1)}.${d.getUTCFullYear()} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** Start of the portal-local day containing `ms`, as unix ms. */
export function startOfLocalDay(ms: number, offsetMin: number): number {
  const d = shifted(ms, offsetMin);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - offsetMin * 60_000;
}

export function unixSec(ms: number): number {
  return Math.floor(ms / 1000);
}

/** `HH:MM:SS` for a duration. */
export function hms(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${pad(s / 3600)}:${pad((s % 3600) / 60)}:${pad(s % 60)}`;
}
