import { locale, t } from './words.ts';

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
/** A duration in seconds as people say it: "45 s", "3 min", "2 h 5 min". */
export function fmtSeconds(sec: number | null | undefined): string {
  if (sec === null || sec === undefined || !Number.isFinite(sec)) return '—';
  return sec < 60 ? t('age_sec', { n: Math.round(sec) }) : fmtAge(Math.round(sec));
}
/** The viewer's local midnight: "today" on the dashboard is the viewer's day. */
export function localMidnight(now = Date.now()): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}
/** unix ms → the value a datetime-local input shows, in the viewer's zone */
export function toLocalInput(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
export const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
