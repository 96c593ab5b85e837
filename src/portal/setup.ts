import type { Logger } from '../log/logger.ts';
import type { Manifest } from '../manifest.ts';
import type { OfflineEventsStatusRepository } from '../db/repositories/offline-events-status.ts';
import { offlineBindCalls, tokenIsAdmin } from '../events/offline-access.ts';
import type { Call, PortalClient } from './client.ts';

export interface SetupContext {
  memberId: string;
  client: PortalClient;
  publicUrl: string;
  manifest: Manifest;
  log: Logger;
  /** when this setup was asked for (unix ms): bounds how long a step may wait for the portal */
  requestedAt: number;
  now(): number;
}

/**
 * One idempotent piece of a portal's setup. Setup runs after every install (the portal
 * deletes an app's handlers on reinstall and update), so each step checks what exists
 * before it creates anything.
 */
export interface SetupStep {
  name: string;
  run(ctx: SetupContext): Promise<void>;
}

export const ALREADY_BOUND = /already exist|unable to set event handler|HANDLER_ALREADY/i;

/**
 * Binds the manifest's events to $PUBLIC_URL/events, and the offline ones where the portal offers
 * them and the app's token is an administrator's (events/offline-access.ts): otherwise offline
 * events are recorded as unavailable and setup goes on without them.
 */
export function bindEventsStep(offline: OfflineEventsStatusRepository): SetupStep {
  return {
    name: 'bind-events',
    async run({ memberId, client, publicUrl, manifest, log, now }) {
      const handler = `${publicUrl}${manifest.handlers.events}`;
      const bound: { event: string; handler?: string; offline?: number | string }[] =
        await client.call('event.get');
      const has = (event: string, offline: boolean) =>
        bound.some(
          (b) =>
            b.event.toUpperCase() === event &&
            (offline ? Number(b.offline) === 1 : Number(b.offline ?? 0) !== 1 && b.handler === handler),
        );
      let calls: Record<string, Call> = {};
      let offlineWanted = false;
      for (const event of manifest.events.online) {
        if (!has(event, false)) calls[`on_${event}`] = ['event.bind', { event, handler }];
      }
      if (manifest.events.offline.length > 0) {
        const feature = await client.call('feature.get', { CODE: 'rest_offline_extended' }).catch(() => null);
        if (feature?.value !== 'Y') await offline.set(memberId, 'not_offered', now());
        else if (!(await tokenIsAdmin(client))) {
          log.warn({ memberId }, 'offline events unavailable: the app’s token is not an administrator’s');
          await offline.set(memberId, 'not_admin', now());
        } else {
          offlineWanted = true;
          calls = { ...calls, ...offlineBindCalls(manifest, (e) => has(e, true)) };
        }
      }
      if (Object.keys(calls).length === 0) {
        if (offlineWanted) await offline.set(memberId, 'on', now());
        return;
      }
      const r = await client.batch(calls);
      const errors = Object.entries(r.errors).filter(
        ([, e]) => !ALREADY_BOUND.test(`${e.error} ${e.error_description}`),
      );
      // Administrator rights can go between the check and the bind: the portal's 403 says the same.
      const deniedOffline = errors.filter(([k, e]) => k.startsWith('off_') && /ACCESS_DENIED/i.test(e.error));
      const failed = errors.filter((x) => !deniedOffline.includes(x));
      if (failed.length > 0) {
        throw new Error(`event.bind failed: ${failed.map(([k, e]) => `${k} ${e.error}`).join(', ')}`);
      }
      if (offlineWanted) await offline.set(memberId, deniedOffline.length > 0 ? 'not_admin' : 'on', now());
      log.info({ bound: Object.keys(calls) }, 'events bound');
    },
  };
}
