import { createHash } from 'node:crypto';
import { OFFLINE_DEDUP_SKIPS_RESERVED, OFFLINE_EVENT_ADDITIONAL } from '../assumptions.ts';
import type { OfflineRecord, PortalState } from '../model.ts';
import { nextId } from '../model.ts';

/**
 * The portal-side offline event store: one record per object state, not per change
 * (offline-events.md: "1000 updates of one deal leave 1 record").
 */
export function addOfflineRecord(
  state: PortalState,
  now: number,
  eventName: string,
  eventData: unknown,
  authConnector: string,
): OfflineRecord {
  const messageId = createHash('md5')
    .update(`${eventName}|${JSON.stringify(eventData)}|${authConnector}`)
    .digest('hex');
  for (const rec of state.offlineQueue.values()) {
    const reserved = rec.processId !== '';
    if (rec.messageId === messageId && !rec.error && !(OFFLINE_DEDUP_SKIPS_RESERVED && reserved)) {
      rec.timestampX = now;
      rec.eventData = eventData;
      return rec;
    }
  }
  const rec: OfflineRecord = {
    id: nextId(state, 'offline'),
    timestampX: now,
    eventName,
    eventData,
    eventAdditional: OFFLINE_EVENT_ADDITIONAL,
    messageId,
    processId: '',
    error: false,
    authConnector,
  };
  state.offlineQueue.set(rec.id, rec);
  return rec;
}
