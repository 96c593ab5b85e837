import { PortalError } from '../errors.ts';
import type { Manifest } from '../manifest.ts';
import type { Call, PortalClient } from '../portal/client.ts';
import { yesNo } from '../portal/user-call.ts';

/*
 * Offline events are for administrators only: "Only an administrator can work with the offline
 * event queue. This restriction applies to the event.offline.get, event.offline.list,
 * event.offline.clear, and event.offline.error methods" (api-reference/events/index.md), and for a
 * user without administrator rights "Offline events are unavailable; attempting to install them
 * will throw an exception" — 403 ACCESS_DENIED, "Offline events binding requires administrator
 * access rights" (events/event-bind.md). The app calls them with the installing user's token, so
 * it asks the portal whether that user is an administrator (user.admin, common/users/user-admin.md)
 * before binding, records the answer (offline_events_status), shows it on the dashboard, and
 * looks again every RECHECK_MS while it is not.
 */

export const RECHECK_MS = 15 * 60_000;

/** The portal refused for rights: 403, or ACCESS_DENIED. */
export function refusedForRights(err: unknown): boolean {
  return err instanceof PortalError && (err.status === 403 || /ACCESS_DENIED/i.test(err.b24Error));
}

/** user.admin with the app's own token: is the installing user an administrator now? */
export async function tokenIsAdmin(client: PortalClient): Promise<boolean> {
  return yesNo(await client.call('user.admin')) === true;
}

/** The offline event.bind calls for the manifest's offline events. */
export function offlineBindCalls(
  manifest: Manifest,
  bound: (event: string) => boolean,
): Record<string, Call> {
  const calls: Record<string, Call> = {};
  for (const event of manifest.events.offline) {
    if (!bound(event)) calls[`off_${event}`] = ['event.bind', { event, event_type: 'offline' }];
  }
  return calls;
}
