import type { Database } from '../sqlite.ts';

export interface RetentionPolicy {
  /** processed inbox rows (their dedup keys guard against re-deliveries only this long) */
  doneEventsMs: number;
  /** dead-lettered inbox rows (shown on the dashboard until then) */
  deadEventsMs: number;
  /** closed dialogs in the register */
  closedDialogsMs: number;
  /** the assignment log ("why did Anna get this dialog?") */
  assignmentLogMs: number;
}

const DAY = 86_400_000;
export const DEFAULT_RETENTION: RetentionPolicy = {
  doneEventsMs: 14 * DAY,
  deadEventsMs: 60 * DAY,
  closedDialogsMs: 180 * DAY,
  assignmentLogMs: 365 * DAY,
};

/** A policy from whole days (the RETENTION_* variables). */
export function retentionFromDays(d: { events: number; deadEvents: number; dialogs: number; log: number }) {
  return {
    doneEventsMs: d.events * DAY,
    deadEventsMs: d.deadEvents * DAY,
    closedDialogsMs: d.dialogs * DAY,
    assignmentLogMs: d.log * DAY,
  } satisfies RetentionPolicy;
}

/** Deletes rows older than the policy allows, a bounded chunk per table per call. */
export class RetentionRepository {
  constructor(private readonly db: Database) {}

  async prune(
    now: number,
    p: RetentionPolicy = DEFAULT_RETENTION,
    chunk = 5000,
  ): Promise<Record<string, number>> {
    const del = async (sql: string, params: number[]) => (await this.db.run(sql, [...params, chunk])).changes;
    return {
      events: await del(
        `DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE
           (state = 'done' AND finished_at < ?) OR (state = 'dead' AND finished_at < ?) LIMIT ?)`,
        [now - p.doneEventsMs, now - p.deadEventsMs],
      ),
      dialogs: await del(
        `DELETE FROM ol_dialogs WHERE id IN (SELECT id FROM ol_dialogs WHERE state = 'closed' AND closed_at < ? LIMIT ?)`,
        [now - p.closedDialogsMs],
      ),
      log: await del(
        `DELETE FROM assignment_log WHERE id IN (SELECT id FROM assignment_log WHERE created_at < ? LIMIT ?)`,
        [now - p.assignmentLogMs],
      ),
    };
  }
}
