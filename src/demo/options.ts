import { parseArgs } from 'node:util';

export const USAGE = `npm run demo -- [--rate N] [--lead-rate N] [--busy] [--lang ru|en] [--port N] [--portal-port N] [--duration S] [--fast]
  --rate         new dialogs per minute (default 20, what the demo's operators can carry)
  --lead-rate    new leads per minute (default 4)
  --busy         a busy day: three times the dialogs and leads, more than the operators can take
  --lang         the portal's language (default ru)
  --port         the app's port (default 3000; 0 = any free port)
  --portal-port  the emulated portal's port (default 3001; 0 = any free port)
  --duration     stop by itself after S seconds (default: run until Ctrl-C)
  --fast         lift the portal's 2 requests/s limit (default: the real limit)`;

export interface DemoOptions {
  rate: number;
  leadRate: number;
  busy: boolean;
  lang: 'ru' | 'en';
  appPort: number;
  portalPort: number;
  duration: number | undefined;
  fast: boolean;
}

/** The demo's flags, or one message that says what is wrong with them (then the usage). */
export function demoOptions(argv: string[]): DemoOptions | { help: true } | { error: string } {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        rate: { type: 'string' },
        'lead-rate': { type: 'string' },
        busy: { type: 'boolean', default: false },
        lang: { type: 'string', default: 'ru' },
        port: { type: 'string', default: '3000' },
        'portal-port': { type: 'string', default: '3001' },
        duration: { type: 'string' },
        fast: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    // node's own words name the flag: "Unknown option '--rates'", "Option '--rate <value>' argument missing"
    return { error: String((err as Error).message).replace(/\. To specify a positional.*$/, '') };
  }
  if (values.help) return { help: true };
  const errors: string[] = [];
  const num = (name: string, v: unknown, min: number, max = Number.POSITIVE_INFINITY) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < min || n > max) {
      errors.push(
        `--${name} must be a number from ${min}${max < Number.POSITIVE_INFINITY ? ` to ${max}` : ''}, not "${v}"`,
      );
      return min;
    }
    return n;
  };
  const busy = values.busy === true;
  const rate = num('rate', values.rate ?? (busy ? 60 : 20), 0);
  const leadRate = num('lead-rate', values['lead-rate'] ?? (busy ? 12 : 4), 0);
  const appPort = num('port', values.port, 0, 65535);
  const portalPort = num('portal-port', values['portal-port'], 0, 65535);
  const duration = values.duration === undefined ? undefined : num('duration', values.duration, 1);
  if (values.lang !== 'ru' && values.lang !== 'en')
    errors.push(`--lang must be ru or en, not "${values.lang}"`);
  if (errors.length > 0) return { error: errors.join('; ') };
  return {
    rate,
    leadRate,
    busy,
    lang: values.lang as 'ru' | 'en',
    appPort,
    portalPort,
    duration,
    fast: values.fast === true,
  };
}

/** A listen error in words: a port in use is the one people meet. */
export function listenError(what: string, port: number, err: unknown): string {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'EADDRINUSE') {
    return `port ${port} (${what}) is already in use: stop whatever uses it, or pass ${what === 'the app' ? '--port' : '--portal-port'} 0 for any free port`;
  }
  if (code === 'EACCES') return `port ${port} (${what}) may not be used by this user: choose one above 1024`;
  return `${what} could not listen on port ${port}: ${(err as Error)?.message ?? String(err)}`;
}
