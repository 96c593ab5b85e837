import type { Store as Database } from '../store.ts';

export type JobRunStatus = 'running' | 'ok' | 'failed' | 'skipped';

export interface JobLease {
  name: string;
  holder: string;
  /** unix ms */
  expiresAt: number;
}

export type AcquireResult = { acquired: true; closedRuns: number } | { acquired: false; lease?: JobLease };

export interface JobRun {
  id: number;
  job: string;
  memberId: string | null;
  runId: string | null;
  startedAt: number;
  finishedAt: number | null;
  status: JobRunStatus;
  dryRun: boolean;
  summary: unknown;
}

export interface NewJobRun {
  job: string;
  memberId: string | null;
  runId: string;
  startedAt: number;
  dryRun: boolean;
}

/** What the journal says about a run whose process died before it could finish the row. */
export const INTERRUPTED = { error: 'interrupted: the process running it stopped before it finished' };

interface RunRow {
  id: number;
  job: string;
  member_id: string | null;
  run_id: string | null;
  started_at: number;
  finished_at: number | null;
  status: JobRunStatus;
  dry_run: number;
  summary: string | null;
}

function toRun(r: RunRow): JobRun {
  let summary: unknown = null;
  if (r.summary !== null) {
    try {
      summary = JSON.parse(r.summary);
    } catch {
      summary = r.summary;
    }
  }
  return {
    id: r.id,
    job: r.job,
    memberId: r.member_id,
    runId: r.run_id,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    status: r.status,
    dryRun: r.dry_run === 1,
    summary,
  };
}

/** Job leases (one run at a time across processes) and the job_runs journal. */
export class JobRepository {
  constructor(private readonly db: Database) {}

  /**
   * Takes the lease `name` for `holder` until `now + ttlMs` if nobody holds it or the
   * holder's lease ran out (its process died or stalled). The insert-or-take-over is one
   * statement, so of two processes racing for it exactly one wins. The winner of an expired
   * lease also closes the journal rows its predecessor left 'running': while the lease was
   * held nobody else could have opened them.
   */
  async acquireLease(name: string, holder: string, now: number, ttlMs: number): Promise<AcquireResult> {
    const won = await this.db.transaction(async (tx) => {
      const r = await tx.run(
        `INSERT INTO job_leases (name, holder, expires_at) VALUES (?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE job_leases.expires_at <= ?`,
        [name, holder, now + ttlMs, now],
      );
      if (r.changes !== 1) return undefined;
      const closed = await tx.run(
        `UPDATE job_runs SET status = 'failed', finished_at = ?, summary = ?
         WHERE job = ? AND status = 'running'`,
        [now, JSON.stringify(INTERRUPTED), name],
      );
      return closed.changes;
    });
    if (won !== undefined) return { acquired: true, closedRuns: won };
    // Read apart from the attempt: only for the message, so a lease released meanwhile is fine.
    return { acquired: false, lease: await this.getLease(name) };
  }

  /**
   * Extends the lease; false when `holder` no longer has it (it expired and was taken over).
   * A lease that ran out but was not taken is still renewed: nobody else ran meanwhile.
   */
  async renewLease(name: string, holder: string, now: number, ttlMs: number): Promise<boolean> {
    const r = await this.db.run('UPDATE job_leases SET expires_at = ? WHERE name = ? AND holder = ?', [
      now + ttlMs,
      name,
      holder,
    ]);
    return r.changes === 1;
  }

  /** Gives the lease up; only its holder can, so a late finisher never frees a successor's lease. */
  async releaseLease(name: string, holder: string): Promise<boolean> {
    const r = await this.db.run('DELETE FROM job_leases WHERE name = ? AND holder = ?', [name, holder]);
    return r.changes === 1;
  }

  async getLease(name: string): Promise<JobLease | undefined> {
    const r = await this.db.get<{ name: string; holder: string; expires_at: number }>(
      'SELECT name, holder, expires_at FROM job_leases WHERE name = ?',
      [name],
    );
    return r ? { name: r.name, holder: r.holder, expiresAt: r.expires_at } : undefined;
  }

  /** Opens a journal row in state 'running'; returns its id for finishRun. */
  async startRun(run: NewJobRun): Promise<number> {
    const r = await this.db.get<{ id: number }>(
      `INSERT INTO job_runs (job, member_id, run_id, started_at, status, dry_run) VALUES (?, ?, ?, ?, 'running', ?)
       RETURNING id`,
      [run.job, run.memberId, run.runId, run.startedAt, run.dryRun ? 1 : 0],
    );
    return r!.id;
  }

  async finishRun(
    id: number,
    status: Exclude<JobRunStatus, 'running'>,
    finishedAt: number,
    summary: unknown,
  ): Promise<void> {
    await this.db.run('UPDATE job_runs SET status = ?, finished_at = ?, summary = ? WHERE id = ?', [
      status,
      finishedAt,
      JSON.stringify(summary ?? null),
      id,
    ]);
  }

  /** What a run still going has done so far (its summary until it finishes); a finished row stays. */
  async progress(id: number, summary: unknown): Promise<void> {
    await this.db.run("UPDATE job_runs SET summary = ? WHERE id = ? AND status = 'running'", [
      JSON.stringify(summary ?? null),
      id,
    ]);
  }

  /** A journal row for a run that did nothing (e.g. skipped: the lease was held), in one insert. */
  async recordRun(
    run: NewJobRun & { status: Exclude<JobRunStatus, 'running'>; finishedAt: number; summary: unknown },
  ): Promise<number> {
    const r = await this.db.get<{ id: number }>(
      `INSERT INTO job_runs (job, member_id, run_id, started_at, finished_at, status, dry_run, summary)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
      [
        run.job,
        run.memberId,
        run.runId,
        run.startedAt,
        run.finishedAt,
        run.status,
        run.dryRun ? 1 : 0,
        JSON.stringify(run.summary ?? null),
      ],
    );
    return r!.id;
  }

  /**
   * The newest journal rows first, for the dashboard: one portal's (`memberId`), or every
   * portal's when it is omitted; optionally of one job, optionally without 'skipped' rows.
   */
  async recentRuns(
    o: { memberId?: string; job?: string; limit?: number; includeSkipped?: boolean } = {},
  ): Promise<JobRun[]> {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (o.memberId !== undefined) {
      where.push('member_id = ?');
      params.push(o.memberId);
    }
    if (o.job !== undefined) {
      where.push('job = ?');
      params.push(o.job);
    }
    if (o.includeSkipped === false) where.push("status <> 'skipped'");
    params.push(Math.max(1, Math.min(o.limit ?? 50, 1000)));
    const rows = await this.db.all<RunRow>(
      `SELECT * FROM job_runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY started_at DESC, id DESC LIMIT ?`,
      params,
    );
    return rows.map(toRun);
  }

  /** Deletes finished journal rows started before `before` (unix ms); returns how many. */
  async pruneRuns(before: number): Promise<number> {
    const r = await this.db.run("DELETE FROM job_runs WHERE started_at < ? AND status <> 'running'", [
      before,
    ]);
    return r.changes;
  }
}
