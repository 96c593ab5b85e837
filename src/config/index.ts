import { z } from 'zod';

/**
 * The only place that reads the environment (CONTRACT.md "Environment").
 * Everything else receives a frozen Config, so tests pass their own values.
 */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const PORT_MSG = 'must be a port number from 1 to 65535';
const portSchema = z.coerce.number({ error: PORT_MSG }).int(PORT_MSG).min(1, PORT_MSG).max(65535, PORT_MSG);

const cronish = z.string().regex(/^(\S+\s+){4,5}\S+$/, 'must be a cron expression with 5 or 6 fields');

const DAYS_MSG = 'must be a whole number of days from 1 to 3650';
const days = z.coerce.number({ error: DAYS_MSG }).int(DAYS_MSG).min(1, DAYS_MSG).max(3650, DAYS_MSG);
const HOUR_MSG = 'must be an hour from 0 to 23';

const schema = z.object({
  PORT: portSchema.default(3000),
  PUBLIC_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  B24_CLIENT_ID: z.string({ error: 'is required' }).min(1, 'is required'),
  B24_CLIENT_SECRET: z.string({ error: 'is required' }).min(1, 'is required'),
  B24_OAUTH_SERVER: z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .default('https://oauth.bitrix.info'),
  DATABASE_PATH: z.string().min(1).default('./data/app.sqlite'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres://user:pass@host:port/db URL')
    .optional(),
  DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case schema name (letters, digits, _)')
    .optional(),
  B24_ALLOW_HTTP: z.enum(['0', '1'], { error: 'must be 0 or 1' }).default('0'),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  SCHEDULE_SYNC: cronish.default('*/1 * * * *'),
  SCHEDULE_PASS_ON: cronish.default('*/15 * * * * *'),
  SCHEDULE_RECLAIM_DEPARTED: cronish.default('0 * * * *'),
  SCHEDULE_CLOSE_IDLE: cronish.default('5 * * * *'),
  SCHEDULE_OFFLINE_EVENTS: cronish.default('*/1 * * * *'),
  RECLAIM_HOUR: z.coerce
    .number({ error: HOUR_MSG })
    .int(HOUR_MSG)
    .min(0, HOUR_MSG)
    .max(23, HOUR_MSG)
    .default(3),
  RETENTION_EVENTS_DAYS: days.default(14),
  RETENTION_DEAD_EVENTS_DAYS: days.default(60),
  RETENTION_DIALOGS_DAYS: days.default(180),
  RETENTION_LOG_DAYS: days.default(365),
});

export interface Config {
  readonly port: number;
  readonly publicUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly oauthServer: string;
  readonly databasePath: string;
  /** PostgreSQL instead of the SQLite file when set (the store every instance shares) */
  readonly databaseUrl?: string;
  /** the PostgreSQL schema to use (created if missing); the URL's default when unset */
  readonly databaseSchema?: string;
  readonly allowHttp: boolean;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly schedules: Readonly<
    Record<'sync' | 'pass-on' | 'reclaim-departed' | 'close-idle' | 'offline-events', string>
  >;
  /** portal-local hour from which reclaim-departed does the day's work */
  readonly reclaimHour: number;
  /** how long rows are kept, in days (src/db/repositories/retention.ts) */
  readonly retentionDays: Readonly<{ events: number; deadEvents: number; dialogs: number; log: number }>;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws one ConfigError naming every offending variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as "not set", the way shells and .env files usually mean them.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const byVar = new Map<string, string>();
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '?');
      if (!byVar.has(name)) byVar.set(name, issue.message);
    }
    throw new ConfigError([...byVar].map(([name, msg]) => `${name} ${msg}`));
  }
  const e = parsed.data;
  const publicUrl = (e.PUBLIC_URL ?? `http://localhost:${e.PORT}`).replace(/\/+$/, '');
  return Object.freeze({
    port: e.PORT,
    publicUrl,
    clientId: e.B24_CLIENT_ID,
    clientSecret: e.B24_CLIENT_SECRET,
    oauthServer: e.B24_OAUTH_SERVER.replace(/\/+$/, ''),
    databasePath: e.DATABASE_PATH,
    databaseUrl: e.DATABASE_URL,
    databaseSchema: e.DATABASE_SCHEMA,
    allowHttp: e.B24_ALLOW_HTTP === '1',
    logLevel: e.LOG_LEVEL,
    schedules: Object.freeze({
      sync: e.SCHEDULE_SYNC,
      'pass-on': e.SCHEDULE_PASS_ON,
      'reclaim-departed': e.SCHEDULE_RECLAIM_DEPARTED,
      'close-idle': e.SCHEDULE_CLOSE_IDLE,
      'offline-events': e.SCHEDULE_OFFLINE_EVENTS,
    }),
    reclaimHour: e.RECLAIM_HOUR,
    retentionDays: Object.freeze({
      events: e.RETENTION_EVENTS_DAYS,
      deadEvents: e.RETENTION_DEAD_EVENTS_DAYS,
      dialogs: e.RETENTION_DIALOGS_DAYS,
      log: e.RETENTION_LOG_DAYS,
    }),
  });
}
