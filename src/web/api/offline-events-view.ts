import type { AppContext } from '../../app-context.ts';
import { OfflineEventsStatusRepository } from '../../db/repositories/offline-events-status.ts';
import { dictionary, type Lang } from '../i18n.ts';

/**
 * The dashboard's word on offline events (events/offline-access.ts): administrator-only at the
 * portal, so unavailable while the app's token is not an administrator's, or where the portal
 * does not offer them. `note` (RU/EN, views/i18n.json) is null while they work.
 */
export async function offlineEventsView(ctx: AppContext, memberId: string, lang: Lang) {
  const s = await new OfflineEventsStatusRepository(ctx.db).get(memberId);
  if (!s) return { state: 'unknown' as const, since: null, checkedAt: null, note: null };
  const key =
    s.state === 'not_admin'
      ? 'offline_events_not_admin'
      : s.state === 'not_offered'
        ? 'offline_events_not_offered'
        : null;
  const note = key
    ? dictionary(lang)[key].replace(
        '{since}',
        `${new Date(s.since).toISOString().slice(0, 16).replace('T', ' ')} UTC`,
      )
    : null;
  return { state: s.state, since: s.since, checkedAt: s.checkedAt, note };
}
