import { timingSafeEqual } from 'node:crypto';

/**
 * Bitrix24 events carry no signature: the only proof of origin is the application token the
 * portal gave us at install. Compared in constant time so its value can't be probed.
 */
export function applicationTokenMatches(received: unknown, stored: string): boolean {
  if (typeof received !== 'string' || received.length === 0 || stored.length === 0) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(stored);
  return a.length === b.length && timingSafeEqual(a, b);
}
