import type { CrmLink, OpenLoad } from '../engine/index.ts';
import { type OperatorInfo, toOperatorStates } from '../operators/index.ts';
import type { BatchResult, PortalClient } from '../portal/client.ts';
import type { LeadSettings } from '../settings/schema.ts';
import type { SettingsService } from '../settings/service.ts';
import { decisionRef, leadComment, withRef } from './comment.ts';
import type { LeadLog } from './lead-log.ts';
import { clientMatches, type LeadFacts, linkReadCommands, parseLinks } from './lead-read.ts';
import type { AddOutcome, LeadServiceDeps } from './lead-types.ts';
import type { LeadQueue } from './policy.ts';
import { decideUnderQuota } from './quota-decision.ts';

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

/** Under the queue's lock: the load and queue state as of now, the engine's decision, and its record. */
export async function decideAndRecord(
  d: LeadServiceDeps,
  journal: LeadLog,
  memberId: string,
  lead: LeadFacts,
  queue: LeadQueue,
  links: CrmLink[],
  ids: Set<number>,
  infos: Map<number, OperatorInfo>,
  opSettings: Awaited<ReturnType<SettingsService['operators']>>,
  settings: LeadSettings,
  o: { receivedAt: number; wasWaiting: boolean; lang: 'ru' | 'en'; client: PortalClient },
): Promise<AddOutcome | 'decided'> {
  const now = d.clock();
  const statesFor = async (q: LeadQueue, extra: number[]) => {
    const want = new Set([...(q.id === queue.id ? ids : q.rules.queue.map((m) => m.id)), ...extra]);
    const missing = [...want].filter((id) => !infos.has(id));
    if (missing.length > 0)
      for (const [id, i] of await d.operators.get(memberId, o.client, missing)) infos.set(id, i);
    const [queueState, counts] = await Promise.all([
      d.queueState.get(memberId, q.id),
      d.leads.loads(memberId, [...want], settings.openStatuses),
    ]);
    const loads = new Map<number, Partial<OpenLoad>>([...counts].map(([id, n]) => [id, { notAnswered: n }]));
    return toOperatorStates(want, infos, { settings: opSettings, queue: queueState, loads });
  };
  // The quota caps the queue first; past everyone's cap its overflow decides (quota-decision.ts).
  const { decision: dec, queue: target } = await decideUnderQuota(
    d.quota,
    memberId,
    o.client,
    settings,
    queue,
    { id: lead.id, kind: 'lead', arrivedAt: o.receivedAt, crm: links },
    opSettings,
    now,
    statesFor,
  );

  if (dec.action === 'assign') {
    const nameOf = (id: number) => infos.get(id)?.name || `#${id}`;
    const recorded = await d.leads.recordOutcome({
      memberId,
      leadId: lead.id,
      phase: 'decided',
      queueId: target.id,
      statusId: lead.statusId || null,
      holderId: dec.operatorId,
      previousId: lead.assignedById || null,
      operatorId: dec.operatorId,
      reason: dec.reason,
      comment: withRef(
        leadComment(o.lang, target.route, dec.reason, nameOf),
        o.lang,
        decisionRef(memberId, lead.id, now),
      ),
      receivedAt: o.receivedAt,
      at: now,
    });
    if (!recorded) return 'already';
    // After the decision's record: a crash between the two costs the operator's turn, never a second assignment.
    await d.queueState.recordAssignment(memberId, target.id, dec.operatorId, dec.stamp, dec.credits);
    await d.quota?.record(memberId, lead.id, dec.operatorId, now);
    return 'decided';
  }
  if (dec.action === 'wait') {
    if (o.wasWaiting) return 'still_waiting';
    await journal.recordAndLog(memberId, lead, o.receivedAt, 'waiting', queue.id, dec.reason, 'wait');
    return 'waiting';
  }
  // "All at once" hands a dialog to the line's own queue; a lead has no such queue, so it stays as it is.
  await journal.recordAndLog(memberId, lead, o.receivedAt, 'skipped', queue.id, dec.reason, 'portal_queue');
  return 'left';
}
