import { limitOf, membersById } from '../engine/availability.ts';
import { type CrmLink, type Decision, decide, type OpenLoad } from '../engine/index.ts';
import type { LeadOutcome, SyncedLead } from '../db/repositories/leads.ts';
import { type OperatorInfo, toOperatorStates } from '../operators/index.ts';
import type { BatchResult, PortalClient } from '../portal/client.ts';
import type { LeadSettings } from '../settings/schema.ts';
import type { SettingsService } from '../settings/service.ts';
import { decisionRef, leadComment, withRef } from './comment.ts';
import type { LeadLog } from './lead-log.ts';
import { commandError } from './batch.ts';
import { clientMatches, LEAD, type LeadFacts, linkReadCommands, parseLinks } from './lead-read.ts';
import { type AddOutcome, type LeadServiceDeps, readBatch } from './lead-types.ts';
import type { LeadQueue } from './policy.ts';

/*
 * The decision half of placing a lead: the engine's choice among the queue (and the client's
 * responsible people), recorded in the register before anything is written to the portal.
 */

/** The known client's responsible people: a second read, by id, only if the first found someone. */
export async function clientLinks(
  client: PortalClient,
  read: BatchResult,
  lead: LeadFacts,
): Promise<CrmLink[]> {
  const calls = linkReadCommands(clientMatches(read, lead));
  if (Object.keys(calls).length === 0) return [];
  // A link that cannot be read (deleted, no access) is simply not a link.
  return parseLinks(await client.batch(calls));
}

/**
 * Under the queue's lock: the load and queue state as of now, the engine's decision, and its record.
 *
 * Limits hold under load (issue 20). The register's lead load lags the portal by the events still
 * on their way (a lead an open line made follows its dialog's operator; a person's reassignment),
 * and another queue may be deciding for the same operator at this moment. So when the chosen
 * operator has a limit: their open leads are read on the portal (one list read, in one batch with
 * other reads on their way) and put in the register; then the decision is recorded only if the
 * register's count, decisions not yet written included, is still under the limit (one
 * transaction under a lock per operator). One found full is left out and the choice made again.
 */
export async function decideAndRecord(
  d: LeadServiceDeps,
  journal: LeadLog,
  client: PortalClient,
  memberId: string,
  lead: LeadFacts,
  queue: LeadQueue,
  links: CrmLink[],
  ids: Set<number>,
  infos: Map<number, OperatorInfo>,
  opSettings: Awaited<ReturnType<SettingsService['operators']>>,
  settings: LeadSettings,
  o: { receivedAt: number; wasWaiting: boolean; lang: 'ru' | 'en' },
): Promise<AddOutcome | 'decided'> {
  const now = d.clock();
  const [queueState, counts] = await Promise.all([
    d.queueState.get(memberId, queue.id),
    d.leads.loads(memberId, [...ids], settings.openStatuses),
  ]);
  const loads = new Map<number, Partial<OpenLoad>>([...counts].map(([id, n]) => [id, { notAnswered: n }]));
  // Each round leaves out one operator found full, so it ends within the candidates.
  for (let round = 0; round <= ids.size; round++) {
    const states = toOperatorStates(ids, infos, { settings: opSettings, queue: queueState, loads });
    const dec = decide(
      queue.rules,
      states,
      { id: lead.id, kind: 'lead', arrivedAt: o.receivedAt, crm: links },
      now,
    );
    if (dec.action !== 'assign') return notAssigned(journal, memberId, lead, queue.id, dec, o);
    const limit = limitOf(queue.rules, membersById(queue.rules).get(dec.operatorId));
    if (limit !== null) {
      const onPortal = await openLeadsOf(d, client, dec.operatorId, lead, settings.openStatuses);
      await d.leads.applySync(memberId, onPortal.rows, [], d.clock());
      if (onPortal.count >= limit) {
        fullOnPortal(
          d,
          memberId,
          lead.id,
          dec.operatorId,
          counts.get(dec.operatorId) ?? 0,
          onPortal.count,
          limit,
        );
        loads.set(dec.operatorId, { notAnswered: onPortal.count });
        continue;
      }
    }
    const nameOf = (id: number) => infos.get(id)?.name || `#${id}`;
    const outcome: LeadOutcome = {
      memberId,
      leadId: lead.id,
      phase: 'decided',
      queueId: queue.id,
      statusId: lead.statusId || null,
      holderId: dec.operatorId,
      previousId: lead.assignedById || null,
      operatorId: dec.operatorId,
      reason: dec.reason,
      comment: withRef(
        leadComment(o.lang, queue.route, dec.reason, nameOf),
        o.lang,
        decisionRef(memberId, lead.id, now),
      ),
      receivedAt: o.receivedAt,
      at: now,
    };
    const recorded =
      limit === null
        ? (await d.leads.recordOutcome(outcome))
          ? 'recorded'
          : 'already'
        : await d.leads.recordWithinLimit(outcome, limit, settings.openStatuses);
    if (recorded === 'already') return 'already';
    if (recorded === 'full') {
      // Another queue's decision for this operator took the last place meanwhile.
      loads.set(dec.operatorId, { notAnswered: limit! });
      continue;
    }
    // After the decision's record: a crash between the two costs the operator's turn, never a second assignment.
    await d.queueState.recordAssignment(memberId, queue.id, dec.operatorId, dec.stamp, dec.credits);
    return 'decided';
  }
  // Unreachable while each round leaves one candidate out; an error lets the event run again.
  throw new Error(`lead ${lead.id}: no decision after ${ids.size + 1} rounds`);
}

/** A decision that gives the lead to nobody: it waits, or it is left where it is. */
async function notAssigned(
  journal: LeadLog,
  memberId: string,
  lead: LeadFacts,
  queueId: string,
  dec: Exclude<Decision, { action: 'assign' }>,
  o: { receivedAt: number; wasWaiting: boolean },
): Promise<AddOutcome> {
  if (dec.action === 'wait') {
    if (o.wasWaiting) return 'still_waiting';
    await journal.recordAndLog(memberId, lead, o.receivedAt, 'waiting', queueId, dec.reason, 'wait');
    return 'waiting';
  }
  // "All at once" hands a dialog to the line's own queue; a lead has no such queue, so it stays as it is.
  await journal.recordAndLog(memberId, lead, o.receivedAt, 'skipped', queueId, dec.reason, 'portal_queue');
  return 'left';
}

function fullOnPortal(
  d: LeadServiceDeps,
  memberId: string,
  leadId: number,
  operatorId: number,
  register: number,
  portal: number,
  limit: number,
): void {
  d.log.info(
    { memberId, leadId, operatorId, register, portal, limit },
    'lead limit: the portal shows the chosen operator full; choosing again',
  );
}

/** The operator's open leads on the portal, this lead left out: the first page's rows and the total. */
async function openLeadsOf(
  d: LeadServiceDeps,
  client: PortalClient,
  operatorId: number,
  lead: LeadFacts,
  statuses: readonly string[],
): Promise<{ count: number; rows: SyncedLead[] }> {
  const r = await readBatch(d, client, {
    open: [
      'crm.item.list',
      {
        entityTypeId: LEAD,
        filter: { assignedById: operatorId, '@stageId': [...statuses] },
        select: ['id', 'assignedById', 'stageId'],
        order: { id: 'ASC' },
        start: 0,
      },
    ],
  });
  if (r.errors.open) throw commandError('crm.item.list', r.errors.open);
  const items = ((r.results.open as { items?: Record<string, unknown>[] } | undefined)?.items ?? []).filter(
    (it) => Number(it.id) !== lead.id,
  );
  const own = lead.assignedById === operatorId && statuses.includes(lead.statusId) ? 1 : 0;
  const total = r.totals?.open ?? items.length + own;
  return {
    count: Math.max(items.length, total - own),
    rows: items.map((it) => ({
      leadId: Number(it.id),
      holderId: operatorId,
      statusId: String(it.stageId ?? ''),
    })),
  };
}
