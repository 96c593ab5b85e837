import type { CrmIds } from '../db/repositories/dialogs.ts';
import type { CrmEntity, CrmLink } from '../engine/index.ts';
import type { Logger } from '../log/logger.ts';
import type { Call, PortalClient } from '../portal/client.ts';
import { parseCrmItem } from './portal-adapter.ts';

const ENTITY_TYPE_ID: Record<CrmEntity, number> = { lead: 1, contact: 3, company: 4 };
const KEY: Record<CrmEntity, keyof CrmIds> = { lead: 'LEAD', contact: 'CONTACT', company: 'COMPANY' };
/** A lead created this shortly before the dialog arrived was created for it, by the line itself. */
const OWN_LEAD_SLACK_MS = 60_000;
/** Cache entries past which expired ones are dropped. */
const CACHE_SWEEP_AT = 500;

interface Cached {
  responsibleId: number | null;
  createdAt: number | null;
  at: number;
}

/**
 * The CRM responsible of a dialog's client, for the "responsible manager" rule. Only the link
 * the engine would try (the highest-precedence one the dialog has) is read, with crm.item.get;
 * reads due together go in one batch, and answers are kept for a few minutes.
 */
export class CrmLinks {
  private readonly cache = new Map<string, Cached>();
  private readonly queued = new Map<string, { keys: Set<string>; done: Promise<void> }>();
  private readonly inflight = new Map<string, Promise<Cached | null>>();

  constructor(private readonly o: { clock: () => number; log: Logger; ttlMs?: number }) {}

  async linksFor(
    memberId: string,
    client: PortalClient,
    crm: CrmIds | null,
    precedence: readonly CrmEntity[],
    arrivedAt: number,
  ): Promise<CrmLink[]> {
    if (!crm) return [];
    const entity = precedence.find((e) => crm[KEY[e]] > 0);
    if (!entity) return [];
    const id = crm[KEY[entity]];
    const item = await this.read(memberId, client, entity, id);
    if (!item?.responsibleId) return [];
    if (entity === 'lead' && item.createdAt !== null && item.createdAt >= arrivedAt - OWN_LEAD_SLACK_MS)
      return [];
    return [{ entity, responsibleId: item.responsibleId }];
  }

  private read(
    memberId: string,
    client: PortalClient,
    entity: CrmEntity,
    id: number,
  ): Promise<Cached | null> {
    const key = `${memberId}:${entity}:${id}`;
    const c = this.cache.get(key);
    if (c && this.o.clock() - c.at < (this.o.ttlMs ?? 5 * 60_000)) return Promise.resolve(c);
    const inflight = this.inflight.get(key);
    if (inflight) return inflight;
    let q = this.queued.get(memberId);
    if (!q) {
      const batch = { keys: new Set<string>(), done: Promise.resolve() };
      batch.done = new Promise<void>((resolve) => {
        setImmediate(() => {
          this.queued.delete(memberId);
          void this.flush(memberId, client, [...batch.keys]).then(resolve);
        });
      });
      q = batch;
      this.queued.set(memberId, q);
    }
    q.keys.add(key);
    const p = q.done.then(() => this.cache.get(key) ?? null);
    this.inflight.set(key, p);
    void p.finally(() => this.inflight.delete(key));
    return p;
  }

  /**
   * Expired answers are dropped once the cache has grown past CACHE_SWEEP_AT: every dialog of a
   * line that creates leads brings a CRM item of its own, so without this the cache grew by one
   * entry per dialog for as long as the process ran (seen in the 2-hour soak).
   */
  private forgetExpired(now: number): void {
    if (this.cache.size < CACHE_SWEEP_AT) return;
    const ttl = this.o.ttlMs ?? 5 * 60_000;
    for (const [k, c] of this.cache) if (now - c.at >= ttl) this.cache.delete(k);
  }

  /** Cached answers kept, in number. */
  get size(): number {
    return this.cache.size;
  }

  private async flush(memberId: string, client: PortalClient, keys: string[]): Promise<void> {
    const calls: Record<string, Call> = {};
    keys.forEach((k, i) => {
      const [, entity, id] = k.split(':') as [string, CrmEntity, string];
      calls[`r${i}`] = ['crm.item.get', { entityTypeId: ENTITY_TYPE_ID[entity], id: Number(id) }];
    });
    try {
      const r = await client.batch(calls);
      const at = this.o.clock();
      keys.forEach((k, i) => {
        const res = r.results[`r${i}`];
        this.cache.set(k, res ? { ...parseCrmItem(res), at } : { responsibleId: null, createdAt: null, at });
      });
      this.forgetExpired(at);
    } catch (err) {
      this.o.log.warn({ memberId, err: (err as Error).message }, 'could not read CRM responsibles');
    }
  }
}
