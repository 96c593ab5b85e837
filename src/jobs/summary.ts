import type { JobResult } from './types.ts';

export type RunStatus = 'ok' | 'partial' | 'failed' | 'skipped';
export type PortalRunStatus = 'ok' | 'failed' | 'skipped';

/** One portal's line in the summary: the job's result, or why there is none. */
export type PortalOutcome = JobResult | { error: string } | { skipped: string };

/** The JSON summary line of one run (CONTRACT.md, `npm run job`). */
export interface JobSummary {
  job: string;
  status: RunStatus;
  dryRun: boolean;
  /** the instant every time rule was evaluated at (`--now`), ISO-8601 */
  now: string;
  startedAt: string;
  finishedAt: string;
  /** member_id → that portal's result, or `{ error }` */
  portals: Record<string, PortalOutcome>;
  /** every numeric field of the portals' results, summed */
  totals: Record<string, number>;
  /** the lease holder's id of this run; the journal rows carry it as run_id */
  runId: string;
  /** when skipped: the run that holds the lease */
  heldBy?: { holder: string; expiresAt: string };
  /** when the run failed before reaching any portal */
  error?: string;
}

/** Sums every numeric field over the results (non-numeric fields have no total). */
export function sumTotals(results: Iterable<JobResult>): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const r of results) {
    for (const [k, v] of Object.entries(r)) {
      if (typeof v === 'number' && Number.isFinite(v)) totals[k] = (totals[k] ?? 0) + v;
    }
  }
  return totals;
}

/**
 * The run's status from its portals': nothing to do or all done is ok; nothing done but
 * something failed is failed; nothing started at all is skipped; any mix is partial.
 */
export function runStatus(portals: Iterable<PortalRunStatus>): RunStatus {
  let ok = 0;
  let failed = 0;
  let skipped = 0;
  for (const s of portals) {
    if (s === 'ok') ok++;
    else if (s === 'failed') failed++;
    else skipped++;
  }
  if (failed === 0 && skipped === 0) return 'ok';
  if (ok === 0 && failed > 0) return 'failed';
  if (ok === 0) return 'skipped';
  return 'partial';
}

/** Exit code of `npm run job` for a summary: 0 when nothing failed. */
export function exitCodeFor(status: RunStatus): 0 | 1 {
  return status === 'ok' || status === 'skipped' ? 0 : 1;
}
