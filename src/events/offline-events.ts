import type { AppContext, Feature } from '../app-context.ts';
import { OfflineEventsStatusRepository } from '../db/repositories/offline-events-status.ts';
import { OfflineReservationRepository } from '../db/repositories/offline-reservations.ts';
import type { JobContext, JobResult, PortalJob } from '../jobs/types.ts';
import { RECHECK_MS, offlineBindCalls, refusedForRights, tokenIsAdmin } from './offline-access.ts';
import { type OfflineRecord, offlineRecordToBody } from './offline-adapter.ts';
import { defaultDedupKey } from './router.ts';

const PAGE = 50;
const MAX_PAGES = 40;

/**
 * The backstop for the app's own downtime: CRM events bound as offline events wait in the
 * portal's queue until this job pulls them. Each batch is reserved (clear=0), stored in the
 * inbox under the same dedup keys as online deliveries, and only then cleared, so a crash
 * at any point loses nothing and a record seen both online and offline runs once.
 */
export class OfflineEventsJob implements PortalJob {
  readonly name = 'offline-events' as const;
  private readonly reservations: OfflineReservationRepository;
  private readonly status: OfflineEventsStatusRepository;

  constructor(private readonly ctx: AppContext) {
    this.reservations = new OfflineReservationRepository(ctx.db);
    this.status = new OfflineEventsStatusRepository(ctx.db);
  }

  /**
   * Administrator-only (offline-access.ts): while the app's token is not an administrator's the
   * queue is not touched, and whether it became one is asked again every RECHECK_MS; a refusal
   * for rights from the portal itself records the same.
   */
  async runForPortal(j: JobContext): Promise<JobResult> {
    const status = await this.status.get(j.memberId);
    if (status?.state === 'not_offered') return { unavailable: 1 };
    if (status?.state === 'not_admin') {
      if (j.now - status.checkedAt < RECHECK_MS || !(await tokenIsAdmin(j.client))) {
        if (!j.dryRun && j.now - status.checkedAt >= RECHECK_MS)
          await this.status.set(j.memberId, 'not_admin', j.now);
        return { unavailable: 1 };
      }
      if (!j.dryRun) await this.bindOffline(j);
    }
    try {
      return await this.pull(j);
    } catch (err) {
      if (!refusedForRights(err)) throw err;
      j.log.warn(
        { err: (err as Error).message },
        'offline events refused: the app’s token is not an administrator’s',
      );
      if (!j.dryRun) await this.status.set(j.memberId, 'not_admin', j.now);
      return { unavailable: 1 };
    }
  }

  /** Administrator rights are back: bind what setup had to leave out (a repeat is "already bound"). */
  private async bindOffline(j: JobContext): Promise<void> {
    const calls = offlineBindCalls(this.ctx.manifest, () => false);
    if (Object.keys(calls).length > 0) await j.client.batch(calls);
    await this.status.set(j.memberId, 'on', j.now);
  }

  private async pull(j: JobContext): Promise<JobResult> {
    if (j.dryRun) {
      const waiting = await j.client.page('event.offline.list', { filter: { ERROR: 'N' } });
      return { waiting: waiting.total ?? (Array.isArray(waiting.result) ? waiting.result.length : 0) };
    }
    let stored = 0;
    let duplicates = 0;
    let failed = 0;
    // First finish batches a previous run reserved but never cleared.
    for (const processId of await this.reservations.list(j.memberId)) {
      const r = await j.client.call('event.offline.get', { clear: 0, process_id: processId, limit: PAGE });
      const out = await this.storeAndClear(j, processId, r?.events ?? []);
      stored += out.stored;
      duplicates += out.duplicates;
      failed += out.failed;
    }
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await j.client.call('event.offline.get', { clear: 0, limit: PAGE });
      const events: OfflineRecord[] = r?.events ?? [];
      if (!r?.process_id || events.length === 0) break;
      await this.reservations.add(j.memberId, String(r.process_id), j.now);
      const out = await this.storeAndClear(j, String(r.process_id), events);
      stored += out.stored;
      duplicates += out.duplicates;
      failed += out.failed;
      if (events.length < PAGE) break;
    }
    if (stored > 0) this.ctx.worker.wake();
    return { stored, duplicates, failed };
  }

  private async storeAndClear(j: JobContext, processId: string, events: OfflineRecord[]) {
    let stored = 0;
    let duplicates = 0;
    // event.offline.error takes "values for the `MESSAGE_ID` field of the records"
    // (api-reference/events/event-offline-error.md), never their ID: a record without one
    // cannot be marked, so it is left in the portal's queue (neither marked nor cleared).
    const bad: string[] = [];
    const unmarkable: string[] = [];
    const good: string[] = [];
    for (const rec of events) {
      const body = offlineRecordToBody(rec, j.memberId);
      const def = body ? this.ctx.router.get(body.event) : undefined;
      if (!body || !def?.schema.safeParse(body).success) {
        if (rec.MESSAGE_ID !== undefined && rec.MESSAGE_ID !== null && String(rec.MESSAGE_ID) !== '')
          bad.push(String(rec.MESSAGE_ID));
        else unmarkable.push(String(rec.ID));
        continue;
      }
      const fresh = await this.ctx.writer.enqueue({
        memberId: j.memberId,
        dedupKey: def.dedupKey ? def.dedupKey(body) : defaultDedupKey(j.memberId, body),
        event: body.event,
        objectKey: def.objectKey(body),
        source: 'offline',
        payload: body,
        receivedAt: j.now,
      });
      if (fresh) stored++;
      else duplicates++;
      good.push(String(rec.ID));
    }
    if (bad.length > 0) {
      await j.client.call('event.offline.error', { process_id: processId, message_id: bad });
      j.log.warn({ count: bad.length }, 'offline events the app could not read were marked as errors');
    }
    if (unmarkable.length > 0) {
      j.log.warn(
        { ids: unmarkable },
        'offline events the app could not read and the portal gave no MESSAGE_ID: left',
      );
    }
    if (good.length > 0 || (bad.length === 0 && unmarkable.length === 0)) {
      await j.client.call('event.offline.clear', {
        process_id: processId,
        ...(good.length ? { id: good } : {}),
      });
    }
    await this.reservations.remove(j.memberId, processId);
    return { stored, duplicates, failed: bad.length };
  }
}

export const offlineEventsFeature: Feature = {
  name: 'offline-events',
  register(ctx) {
    ctx.jobs.set('offline-events', new OfflineEventsJob(ctx));
  },
};
