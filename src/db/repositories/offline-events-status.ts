import type { Store as Database } from '../store.ts';

/** on: bound and pulled; not_admin: the app's token is not an administrator's; not_offered: the portal has no offline events. */
export type OfflineEventsState = 'on' | 'not_admin' | 'not_offered';

export interface OfflineEventsStatus {
  state: OfflineEventsState;
  since: number;
  checkedAt: number;
}

/** Whether offline events work for a portal, as the app last found out. */
export class OfflineEventsStatusRepository {
  constructor(private readonly db: Database) {}

  async get(memberId: string): Promise<OfflineEventsStatus | null> {
    const r = await this.db.get<{ state: OfflineEventsState; since: number; checked_at: number }>(
      'SELECT state, since, checked_at FROM offline_events_status WHERE member_id = ?',
      [memberId],
    );
    return r ? { state: r.state, since: r.since, checkedAt: r.checked_at } : null;
  }

  /** Records what the app found; `since` moves only when the state changes. */
  async set(memberId: string, state: OfflineEventsState, now: number): Promise<void> {
    await this.db.run(
      `INSERT INTO offline_events_status (member_id, state, since, checked_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (member_id) DO UPDATE SET
         since = CASE WHEN offline_events_status.state = excluded.state
                      THEN offline_events_status.since ELSE excluded.since END,
         state = excluded.state,
         checked_at = excluded.checked_at`,
      [memberId, state, now, now],
    );
  }
}
