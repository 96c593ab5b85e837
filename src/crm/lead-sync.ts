import type { LeadRepository, SyncedLead } from '../db/repositories/leads.ts';
import type { QueueStateRepository } from '../db/repositories/queue-state.ts';
import { decide } from '../engine/index.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import { type OperatorDirectory, toOperatorStates } from '../operators/index.ts';
import type { PortalClient } from '../portal/client.ts';
import type { SettingsService } from '../settings/service.ts';
import { commandError } from './batch.ts';
import { type CrmKind, type CrmSettings, LEAD_KIND } from './kind.ts';
import type { LeadService } from './lead-service.ts';

export interface LeadSyncDeps {
  leads: LeadRepository;
  settings: SettingsService;
  queueState: QueueStateRepository;
  operators: OperatorDirectory;
  service: LeadService;
  /** leads (default) or deals: the same sync over the other register (kind.ts) */
  kind?: CrmKind;
}

const PAGE = 50;
/** A decision this old whose write is unconfirmed has outlived its event's retries (or its process). */
export const UNFINISHED_AFTER_MS = 15 * 60_000;

/**
 * The lead side of the sync job. The register's load drifts from the portal when events are
 * missed (closed, converted or reassigned leads); this reads every open lead held by the
 * queues' operators or by a holder in the register — crm.item.list filtered by the open
 * statuses and those operators, every page after the first in one batch — and corrects the
 * register to it. Then leads that waited for a free operator are placed, oldest first, for as
 * long as their queue has someone who can take them.
 */
export async function syncLeads(d: LeadSyncDeps, j: JobContext): Promise<JobResult> {
  const { memberId, client, now } = j;
  const kind = d.kind ?? LEAD_KIND;
  const settings = await kind.settings(d.settings, memberId);
  if (!settings.enabled) return { leads: 'disabled' };
  const statuses = kind.openStatuses(settings);
  const queues = kind.allQueues(settings);
  const operators = new Set(queues.flatMap((q) => q.rules.queue.map((m) => m.id)));
  for (const id of await d.leads.holders(memberId, statuses)) operators.add(id);

  const found = operators.size > 0 ? await listOpenLeads(client, [...operators], statuses, kind) : [];
  const byId = new Map(found.map((f) => [f.leadId, f]));
  const open = await d.leads.openLeads(memberId, statuses);
  const released = open.filter((r) => r.phase !== 'decided' && !byId.has(r.leadId)).map((r) => r.leadId);
  const known = new Map(open.map((r) => [r.leadId, r]));
  const waiting = await d.leads.waiting(memberId);

  if (j.dryRun) {
    return {
      leadsOpenOnPortal: found.length,
      leadsToCorrect: found.filter((f) => {
        const r = known.get(f.leadId);
        return !r || r.holderId !== f.holderId || r.statusId !== f.statusId;
      }).length,
      leadsToRelease: released.length,
      leadsWaiting: waiting.length,
    };
  }

  const applied = await d.leads.applySync(memberId, found, released, now);

  // Decisions whose event handler gave up (the portal was down past every retry): finish them now.
  let finished = 0;
  for (const row of await d.leads.unfinished(memberId, now - UNFINISHED_AFTER_MS)) {
    if (j.signal?.aborted) break;
    try {
      if ((await d.service.finish(row, client, true)) === 'assigned') finished++;
    } catch (err) {
      j.log.warn(
        { leadId: row.leadId, err: (err as Error).message },
        'lead decision still cannot be written',
      );
    }
  }

  // Waiting leads: only queues where someone could take a lead now are worth a read per lead.
  let placed = 0;
  let stillWaiting = 0;
  const roomByQueue = new Map<string, boolean>();
  for (const w of waiting) {
    if (j.signal?.aborted) break;
    const queueId = w.queueId ?? queues[0]!.id;
    let hasRoom = roomByQueue.get(queueId);
    if (hasRoom === undefined) {
      hasRoom = await someoneFree(d, memberId, client, queueId, settings, now);
      roomByQueue.set(queueId, hasRoom);
    }
    if (!hasRoom) {
      stillWaiting++;
      continue;
    }
    const outcome = await d.service.place(memberId, w.leadId, client, w.receivedAt ?? now, w, settings);
    if (outcome === 'assigned') placed++;
    else if (outcome === 'still_waiting') {
      stillWaiting++;
      roomByQueue.set(queueId, false);
    }
  }
  return {
    leadsOpenOnPortal: found.length,
    leadsAdded: applied.added,
    leadsCorrected: applied.changed,
    leadsReleased: applied.released,
    leadsFinished: finished,
    leadsPlaced: placed,
    leadsWaiting: stillWaiting,
  };
}

/** Whether the queue's own rule would give a lead to anyone now (ignoring client-specific rules). */
async function someoneFree(
  d: LeadSyncDeps,
  memberId: string,
  client: PortalClient,
  queueId: string,
  settings: CrmSettings,
  now: number,
): Promise<boolean> {
  const kind = d.kind ?? LEAD_KIND;
  const queue = kind.allQueues(settings).find((q) => q.id === queueId);
  if (!queue) return true;
  const ids = queue.rules.queue.map((m) => m.id);
  const [infos, opSettings, queueState, counts] = await Promise.all([
    // The sync runs now and then: the portal's word as of now, not the cache's.
    d.operators.get(memberId, client, ids, { fresh: true }),
    d.settings.operators(memberId),
    d.queueState.get(memberId, queueId),
    d.leads.loads(memberId, ids, kind.openStatuses(settings)),
  ]);
  const loads = new Map([...counts].map(([id, n]) => [id, { notAnswered: n }]));
  const states = toOperatorStates(ids, infos, { settings: opSettings, queue: queueState, loads });
  const probe = decide(
    { ...queue.rules, responsible: { ...queue.rules.responsible, enabled: false } },
    states,
    {
      id: 'probe',
      kind: 'lead',
    },
    now,
  );
  return probe.action === 'assign';
}

/** Every open lead held by one of `operators`: the first page tells the total, the rest come in one batch. */
export async function listOpenLeads(
  client: PortalClient,
  operators: number[],
  statuses: readonly string[],
  kind: CrmKind = LEAD_KIND,
): Promise<SyncedLead[]> {
  if (statuses.length === 0) return [];
  const params = {
    entityTypeId: kind.entityTypeId,
    filter: { '@assignedById': operators, [`@${kind.statusField}`]: [...statuses] },
    select: ['id', 'assignedById', kind.statusField],
    order: { id: 'ASC' },
  };
  const first = await client.page<{ items?: unknown[] }>('crm.item.list', { ...params, start: 0 });
  const rows: unknown[] = [...(first.result?.items ?? [])];
  const total = first.total ?? rows.length;
  if (total > rows.length) {
    const calls: Record<string, [string, Record<string, unknown>]> = {};
    for (let start = PAGE; start < total; start += PAGE)
      calls[`p${start}`] = ['crm.item.list', { ...params, start }];
    const r = await client.batch(calls);
    for (const label of Object.keys(calls)) {
      const e = r.errors[label];
      if (e) throw commandError('crm.item.list', e);
      rows.push(...((r.results[label] as { items?: unknown[] } | undefined)?.items ?? []));
    }
  }
  const out = new Map<number, SyncedLead>();
  for (const raw of rows) {
    const it = raw as Record<string, unknown>;
    const leadId = Number(it.id);
    const holderId = Number(it.assignedById);
    if (Number.isInteger(leadId) && Number.isInteger(holderId)) {
      out.set(leadId, { leadId, holderId, statusId: String(it[kind.statusField] ?? '') });
    }
  }
  return [...out.values()];
}
