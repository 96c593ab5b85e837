import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Paths pino masks wherever they appear in a log object. Tokens and the client secret must
 * never reach a log line (DEVELOPERS.md, "Nobody in who doesn't belong").
 */
export const REDACT_PATHS = [
  'auth',
  '*.auth',
  'accessToken',
  'refreshToken',
  'applicationToken',
  'clientSecret',
  'access_token',
  'refresh_token',
  'application_token',
  'client_secret',
  'AUTH_ID',
  'REFRESH_ID',
  'APPLICATION_TOKEN',
  '*.accessToken',
  '*.refreshToken',
  '*.applicationToken',
  '*.access_token',
  '*.refresh_token',
  '*.application_token',
  '*.client_secret',
  '*.AUTH_ID',
  '*.REFRESH_ID',
  '*.APPLICATION_TOKEN',
  'req.headers.authorization',
];

export function createLogger(
  level: string = 'info',
  destination?: NodeJS.WritableStream | { write(msg: string): void },
): Logger {
  return pino(
    { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined },
    destination as any,
  );
}

/** A logger that keeps every line in memory, for tests that assert on what was (not) logged. */
export function createMemoryLogger(level = 'trace'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(level, { write: (msg: string) => lines.push(msg) });
  return { logger, lines };
}
