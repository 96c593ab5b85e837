/**
 * The portal's clock, for time passing in tests, demos and `--now`: it starts at an instant
 * of your choice and either runs with real time or stands still until `advance()` moves it.
 * Give `now` to the emulator (`clock`) and to the app under test so both see the same time.
 */
export interface PortalClock {
  now: () => number;
  /** moves the clock forward by `ms` (a running clock keeps running from there) */
  advance(ms: number): number;
  /** sets the clock to an instant */
  set(at: number): void;
}

export function portalClock(o: { start?: number | string; running?: boolean } = {}): PortalClock {
  const start =
    o.start === undefined ? Date.now() : typeof o.start === 'number' ? o.start : Date.parse(o.start);
  if (!Number.isFinite(start)) throw new Error(`not an instant: ${String(o.start)}`);
  let base = start;
  let realAtBase = Date.now();
  const running = o.running ?? false;
  const now = () => (running ? base + (Date.now() - realAtBase) : base);
  return {
    now,
    advance(ms) {
      base = now() + ms;
      realAtBase = Date.now();
      return base;
    },
    set(at) {
      base = at;
      realAtBase = Date.now();
    },
  };
}
