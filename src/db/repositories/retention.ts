import type { Store as Database } from '../store.ts';

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

/**
 * Quota counts (quota_ledger) are read back at most one period: a day, or a shift within it.
 * Three days covers a night shift begun the day before with room to spare.
 */
export const QUOTA_LEDGER_KEEP_MS = 3 * DAY;

/** A policy from whole days (the RETENTION_* variables). */
export function retentionFromDays(d: { events: number; deadEvents: number; dialogs: number; log: number }) {
  return {
    doneEventsMs: d.events * DAY,
    deadEventsMs: d.deadEvents * DAY,
    closedDialogsMs: d.dialogs * DAY,
    assignmentLogMs: d.log * DAY,
  } satisfies RetentionPolicy;
}

/**
 * Deletes rows older than the policy allows, a bounded chunk per table per call.
 *
 * Statements run on the event loop's thread, so each must stay short however big the table:
 * rows are appended in time order, so a row old enough to go lies below the first id that is
 * too young (found by walking ids from the oldest and stopping there), and only those are
 * examined. When nothing is old, that is one row per table, not a scan of a year of them.
 */
export class RetentionRepository {
  constructor(private readonly db: Database) {}

  async prune(now: number, p: RetentionPolicy, chunk = 5000): Promise<Record<string, number>> {
    const del = async (sql: string, params: number[]) => (await this.db.run(sql, [...params, chunk])).changes;
    /** ids below the first row of `table` whose `col` is at or after the bound parameter */
    const older = (table: string, col: string) =>
      `id < COALESCE((SELECT id FROM ${table} WHERE ${col} >= ? ORDER BY id LIMIT 1), 9223372036854775807)`;
    const doneBefore = now - p.doneEventsMs;
    const deadBefore = now - p.deadEventsMs;
    return {
      // A row finished before a cutoff was received before it.
      events: await del(
        `DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE ${older('inbox', 'received_at')}
           AND ((state = 'done' AND finished_at < ?) OR (state = 'dead' AND finished_at < ?)) LIMIT ?)`,
        [Math.max(doneBefore, deadBefore), doneBefore, deadBefore],
      ),
      dialogs: await del(
        `DELETE FROM ol_dialogs WHERE id IN (SELECT id FROM ol_dialogs WHERE ${older('ol_dialogs', 'arrived_at')}
           AND state = 'closed' AND closed_at < ? LIMIT ?)`,
        [now - p.closedDialogsMs, now - p.closedDialogsMs],
      ),
      log: await del(
        `DELETE FROM assignment_log WHERE id IN (SELECT id FROM assignment_log WHERE ${older('assignment_log', 'created_at')}
           AND created_at < ? LIMIT ?)`,
        [now - p.assignmentLogMs, now - p.assignmentLogMs],
      ),
      // Keyed by item, not by id: the oldest by their own index on `at`.
      quotas: await del(
        `DELETE FROM quota_ledger WHERE (member_id, kind, object_id, operator_id) IN
           (SELECT member_id, kind, object_id, operator_id FROM quota_ledger WHERE at < ? LIMIT ?)`,
        [now - QUOTA_LEDGER_KEEP_MS],
      ),
    };
  }
}
