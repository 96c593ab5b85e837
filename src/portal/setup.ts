import type { Logger } from '../log/logger.ts';
import type { Manifest } from '../manifest.ts';
import type { PortalClient } from './client.ts';

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

/** Binds the manifest's events to $PUBLIC_URL/events (and offline ones where the portal offers them). */
export const bindEvents: SetupStep = {
  name: 'bind-events',
  async run({ client, publicUrl, manifest, log }) {
    const handler = `${publicUrl}${manifest.handlers.events}`;
    const bound: { event: string; handler?: string; offline?: number | string }[] =
      await client.call('event.get');
    const has = (event: string, offline: boolean) =>
      bound.some(
        (b) =>
          b.event.toUpperCase() === event &&
          (offline ? Number(b.offline) === 1 : Number(b.offline ?? 0) !== 1 && b.handler === handler),
      );
    const calls: Record<string, [string, Record<string, unknown>]> = {};
    for (const event of manifest.events.online) {
      if (!has(event, false)) calls[`on_${event}`] = ['event.bind', { event, handler }];
    }
    if (manifest.events.offline.length > 0) {
      const feature = await client.call('feature.get', { CODE: 'rest_offline_extended' }).catch(() => null);
      if (feature?.value === 'Y') {
        for (const event of manifest.events.offline) {
          if (!has(event, true)) calls[`off_${event}`] = ['event.bind', { event, event_type: 'offline' }];
        }
      }
    }
    if (Object.keys(calls).length === 0) return;
    const r = await client.batch(calls);
    const failed = Object.entries(r.errors).filter(
      ([, e]) => !ALREADY_BOUND.test(`${e.error} ${e.error_description}`),
    );
    if (failed.length > 0) {
      throw new Error(`event.bind failed: ${failed.map(([k, e]) => `${k} ${e.error}`).join(', ')}`);
    }
    log.info({ bound: Object.keys(calls) }, 'events bound');
  },
};
