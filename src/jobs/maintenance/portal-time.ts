import { toInt } from '../../operators/parse.ts';
import type { Call, PortalClient } from '../../portal/client.ts';

/** The portal's time zone: a named zone (DST-aware) or a fixed offset east of UTC. */
export type PortalZone = { kind: 'iana'; name: string } | { kind: 'offset'; minutes: number };

/** Where the zone came from, for the summary. */
export type ZoneSource = 'user' | 'server.time' | 'default';

export interface ZoneReading {
  zone: PortalZone;
  source: ZoneSource;
}

export const UTC: PortalZone = { kind: 'offset', minutes: 0 };

export function zoneLabel(z: PortalZone): string {
  if (z.kind === 'iana') return z.name;
  const sign = z.minutes < 0 ? '-' : '+';
  const abs = Math.abs(z.minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

export function isIanaZone(name: string): boolean {
  if (!name || !/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The offset an ISO 8601 instant was written in (`+03:00`, `-0530`, `Z`); null without one. */
export function offsetOf(iso: unknown): number | null {
  const m = /(?:T[\d:.]+)(Z|([+-])(\d{2}):?(\d{2}))$/i.exec(String(iso ?? '').trim());
  if (!m) return null;
  if (m[1].toUpperCase() === 'Z') return 0;
  const minutes = Number(m[3]) * 60 + Number(m[4]);
  if (minutes > 14 * 60) return null;
  return (m[2] === '-' ? -1 : 1) * minutes;
}

/**
 * The portal's zone from what REST tells: the installing user's TIME_ZONE (user.get, an IANA
 * name; empty when the user keeps the portal's default), else the offset of `server.time`
 * (the portal's own clock, written in its zone), else UTC.
 */
export function zoneFrom(userTimeZone: unknown, serverTime: unknown): ZoneReading {
  const name = typeof userTimeZone === 'string' ? userTimeZone.trim() : '';
  if (isIanaZone(name)) return { zone: { kind: 'iana', name }, source: 'user' };
  const offset = offsetOf(serverTime);
  if (offset !== null) return { zone: { kind: 'offset', minutes: offset }, source: 'server.time' };
  return { zone: UTC, source: 'default' };
}

const formats = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock date (YYYY-MM-DD) and time at `ms` in the zone. */
export function localTime(ms: number, z: PortalZone): { day: string; hour: number; minute: number } {
  if (z.kind === 'offset') {
    const d = new Date(ms + z.minutes * 60_000);
    return {
      day: d.toISOString().slice(0, 10),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
    };
  }
  let f = formats.get(z.name);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', {
      timeZone: z.name,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(z.name, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  return {
    day: `${parts.year}-${parts.month}-${parts.day}`,
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
  };
}

export type DailyVerdict =
  | { due: true; localDay: string }
  | { due: false; localDay: string; why: 'before_hour' | 'done_today' };

/**
 * A once-a-day job's gate: due from `hour` o'clock local time on, once per local day. A day
 * whose run was missed (the server was down at that hour) is made up at the next chance the
 * same day; the run is never moved into the small hours of the next day.
 */
export function dailyGate(
  now: number,
  z: PortalZone,
  hour: number,
  lastDay: string | undefined,
): DailyVerdict {
  const t = localTime(now, z);
  if (t.hour < hour) return { due: false, localDay: t.day, why: 'before_hour' };
  if (lastDay === t.day) return { due: false, localDay: t.day, why: 'done_today' };
  return { due: true, localDay: t.day };
}

/** Reads each portal's zone (one batch request) and keeps it for a few hours. */
export class PortalZones {
  private readonly cache = new Map<string, { reading: ZoneReading; at: number }>();

  constructor(
    private readonly o: {
      clock: () => number;
      /** the user whose tokens the app holds (the installer), or null when unknown */
      installingUser: (memberId: string) => Promise<number | null>;
      ttlMs?: number;
    },
  ) {}

  async get(memberId: string, client: PortalClient): Promise<ZoneReading> {
    const cached = this.cache.get(memberId);
    if (cached && this.o.clock() - cached.at < (this.o.ttlMs ?? 6 * 3600_000)) return cached.reading;
    const userId = await this.o.installingUser(memberId);
    const calls: Record<string, Call> = {
      // `profile` is the token owner (the installer) when the installation does not name them.
      user: userId ? ['user.get', { FILTER: { ID: userId } }] : ['profile'],
      time: ['server.time'],
    };
    let res: Awaited<ReturnType<PortalClient['batch']>>;
    try {
      res = await client.batch(calls);
    } catch (err) {
      if (cached) return cached.reading;
      throw err;
    }
    const user = res.results.user;
    const row = Array.isArray(user) ? user.find((u) => toInt(u?.ID) === userId) : user;
    const reading = zoneFrom(row?.TIME_ZONE, res.results.time);
    this.cache.set(memberId, { reading, at: this.o.clock() });
    return reading;
  }

  forget(memberId: string): void {
    this.cache.delete(memberId);
  }
}
