import type { Store as Database } from '../store.ts';

/**
 * "Has anything the dashboard shows changed for this portal?" as one statement of index
 * lookups: the newest log entry, settings change, job run, dialog, lead and deal move, journal
 * entry, the inbox's backlog, and the newest read of the operators' availability (whoever read
 * the portal: a break or a return shows at once). The live stream compares it once a second per portal someone is
 * watching; any process's change shows, as every process writes the same store.
 */
export class LiveMarksRepository {
  constructor(private readonly db: Database) {}

  async fingerprint(memberId: string): Promise<string> {
    const r = await this.db.get<Record<string, number | string | null>>(
      `SELECT
         (SELECT MAX(id) FROM assignment_log WHERE member_id = ?) AS log,
         (SELECT MAX(updated_at) FROM settings WHERE member_id = ?) AS settings,
         (SELECT MAX(${this.db.dialect.greatest('started_at', 'COALESCE(finished_at, 0)')}) FROM job_runs WHERE member_id = ?) AS runs,
         (SELECT COUNT(*) FROM job_runs WHERE member_id = ? AND status = 'running') AS running,
         (SELECT MAX(updated_at) FROM ol_dialogs WHERE member_id = ?) AS dialogs,
         (SELECT MAX(updated_at) FROM leads WHERE member_id = ?) AS leads,
         (SELECT MAX(updated_at) FROM deals WHERE member_id = ?) AS deals,
         (SELECT MAX(version) FROM operator_snapshots WHERE member_id = ?) AS operators,
         (SELECT MAX(id) FROM installation_events WHERE member_id = ?) AS journal,
         (SELECT COUNT(*) FROM inbox WHERE member_id = ? AND state IN ('pending', 'processing')) AS backlog,
         (SELECT COUNT(*) FROM inbox WHERE member_id = ? AND state = 'dead') AS dead`,
      Array(11).fill(memberId),
    );
    return r
      ? Object.values(r)
          .map((v) => String(v ?? ''))
          .join('|')
      : '';
  }
}
