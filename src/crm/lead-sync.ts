import type { LeadSyncMarkRepository } from '../db/repositories/lead-sync-marks.ts';
import type { LeadRepository } from '../db/repositories/leads.ts';
import type { QueueStateRepository } from '../db/repositories/queue-state.ts';
import { decide } from '../engine/index.ts';
import type { JobContext, JobResult } from '../jobs/types.ts';
import { type OperatorDirectory, toOperatorStates } from '../operators/index.ts';
import type { PortalClient } from '../portal/client.ts';
import type { SettingsService } from '../settings/service.ts';
import { type CrmKind, type CrmSettings, LEAD_KIND } from './kind.ts';
import type { LeadService } from './lead-service.ts';
import { readLeads, SWEEP_LEADS } from './lead-sync-reads.ts';

export interface LeadSyncDeps {
  leads: LeadRepository;
  marks: LeadSyncMarkRepository;
  settings: SettingsService;
  queueState: QueueStateRepository;
  operators: OperatorDirectory;
  service: LeadService;
  /** leads (default) or deals: the same sync over the other register (kind.ts) */
  kind?: CrmKind;
}

/** A decision this old whose write is unconfirmed has outlived its event's retries (or its process). */
export const UNFINISHED_AFTER_MS = 15 * 60_000;

/**
 * The lead side of the sync job. The register's load drifts from the portal when events are
 * missed (closed, converted or reassigned leads); this reads what changed on the portal since
 * the last run, plus a fixed sweep of the register's open leads (lead-sync-reads.ts: one batch
 * request however many leads are open; a full read of every open lead of the queues' operators
 * only now and then), and corrects the register to it. Then leads that waited for a free
 * operator are placed, oldest first, for as long as their queue has someone who can take them.
 */
export async function syncLeads(d: LeadSyncDeps, j: JobContext): Promise<JobResult> {
  const { memberId, client, now } = j;
  const kind = d.kind ?? LEAD_KIND;
  const settings = await kind.settings(d.settings, memberId);
  if (!settings.enabled) return { leads: 'disabled' };
  const statuses = kind.openStatuses(settings);
  const queues = kind.allQueues(settings);
  const members = queues.flatMap((q) => q.rules.queue.map((m) => m.id));
  const operators = new Set(members);
  for (const id of await d.leads.holders(memberId, statuses)) operators.add(id);

  const mark = await d.marks.get(memberId);
  const sweep = await d.leads.toSweep(memberId, statuses, SWEEP_LEADS);
  const read = await readLeads(
    client,
    { operators: [...operators], members, statuses },
    mark,
    sweep,
    now,
    kind,
  );
  const found = read.found;
  const byId = new Map(found.map((f) => [f.leadId, f]));
  const looked = new Set(read.looked);
  const open = await d.leads.openLeads(memberId, statuses);
  // Open in the register, looked at now, and not found open with one of the operators: closed,
  // converted, deleted or moved elsewhere. (A full read looks at every one of them.)
  const released = open
    .filter((r) => r.phase !== 'decided' && !byId.has(r.leadId) && (read.full || looked.has(r.leadId)))
    .map((r) => r.leadId);
  const known = new Map(open.map((r) => [r.leadId, r]));
  const waiting = await d.leads.waiting(memberId);

  if (j.dryRun) {
    return {
      leadsRead: read.full ? 'full' : 'changed',
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
  await d.leads.markChecked(memberId, [...new Set([...read.looked, ...released])], now);
  await d.marks.save(memberId, read.mark, now);

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
    leadsRead: read.full ? 'full' : 'changed',
    leadsRows: read.rows,
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
