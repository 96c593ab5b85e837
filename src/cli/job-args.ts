import { parseArgs } from 'node:util';
import { JOB_NAMES } from '../jobs/types.ts';

export interface JobArgs {
  name: string;
  portal?: string;
  /** unix ms */
  now?: number;
  dryRun: boolean;
}

/** Bad command-line usage: `npm run job` exits 2 with this message and the usage text. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export function usage(jobs: readonly string[] = JOB_NAMES): string {
  return [
    'usage: npm run job -- <name> [--portal <member_id>] [--now <ISO-8601>] [--dry-run]',
    `jobs: ${jobs.join(', ')}`,
    '  --portal   run for this portal only (its member_id)',
    '  --now      evaluate every time rule as of this instant, e.g. 2025-03-01T09:00:00Z',
    '  --dry-run  report what would change, change nothing',
  ].join('\n');
}

const INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:(Z)|([+-])(\d{2})(?::?(\d{2}))?)$/i;

/**
 * An ISO-8601 instant: a date, a time and a zone (`Z` or an offset), so it names one moment
 * whatever the machine's time zone. Calendar-impossible dates (Feb 30) are refused, which
 * Date.parse would roll over into the next month.
 */
export function parseInstant(s: string): number {
  const m = INSTANT.exec(s.trim());
  if (!m) {
    throw new UsageError(
      `--now must be an ISO-8601 instant with a zone, like 2025-03-01T09:00:00Z; got "${s}"`,
    );
  }
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number);
  const ms = Number((m[7] ?? '0').padEnd(3, '0').slice(0, 3));
  const offH = Number(m[10] ?? 0);
  const offM = Number(m[11] ?? 0);
  const day = utc(y, mo, d, 0, 0, 0, 0);
  const valid =
    day.getUTCFullYear() === y &&
    day.getUTCMonth() === mo - 1 &&
    day.getUTCDate() === d &&
    h <= 23 &&
    mi <= 59 &&
    sec <= 59 &&
    offH <= 23 &&
    offM <= 59;
  if (!valid) throw new UsageError(`--now is not a real instant: "${s}"`);
  const offset = (m[8] ? 0 : (m[9] === '-' ? -1 : 1) * (offH * 60 + offM)) * 60_000;
  return utc(y, mo, d, h, mi, sec, ms).getTime() - offset;
}

/** Date.UTC without its mapping of years 0–99 to 1900–1999. */
function utc(y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): Date {
  const t = new Date(0);
  t.setUTCFullYear(y, mo - 1, d);
  t.setUTCHours(h, mi, s, ms);
  return t;
}

/** Parses `<name> [--portal <id>] [--now <ISO>] [--dry-run]`; throws UsageError on anything else. */
export function parseJobArgs(argv: string[], jobs: readonly string[] = JOB_NAMES): JobArgs | 'help' {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) return 'help';
  if (positionals.length === 0) throw new UsageError('which job? name one');
  if (positionals.length > 1) throw new UsageError(`one job at a time; got ${positionals.join(' ')}`);
  const name = positionals[0];
  if (!jobs.includes(name)) throw new UsageError(`unknown job "${name}"; valid jobs: ${jobs.join(', ')}`);
  if (values.portal !== undefined && values.portal.trim() === '')
    throw new UsageError('--portal needs a member_id');
  return {
    name,
    ...(values.portal !== undefined ? { portal: values.portal.trim() } : {}),
    ...(values.now !== undefined ? { now: parseInstant(values.now) } : {}),
    dryRun: values['dry-run'] === true,
  };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      portal: { type: 'string' },
      now: { type: 'string' },
      'dry-run': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
