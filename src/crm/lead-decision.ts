import type { Cover } from '../absence/cover.ts';
import {
  availabilityOf,
  type CrmLink,
  type Decision,
  type OpenLoad,
  type OperatorState,
  returnOffsets,
} from '../engine/index.ts';
import { type OperatorInfo, toOperatorStates } from '../operators/index.ts';
import type { BatchResult, PortalClient } from '../portal/client.ts';
import type { SettingsService } from '../settings/service.ts';
import { decisionRef, leadComment, withRef } from './comment.ts';
import type { LeadLog } from './lead-log.ts';
import { clientMatches, type LeadFacts, linkReadCommands, parseLinks } from './lead-read.ts';
import type { CrmSettings } from './kind.ts';
import { type AddOutcome, kindOf, type LeadServiceDeps } from './lead-types.ts';
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
  settings: CrmSettings,
  o: {
    receivedAt: number;
    wasWaiting: boolean;
    lang: 'ru' | 'en';
    /** deputies standing in for absent responsibles (absence/cover.ts): the reason says whom they cover */
    covers?: ReadonlyMap<number, Cover>;
    /** an absent person's item at the start of the absence: to their deputy, or (null) to the queue */
    handover?: { to: number | null; cover: Cover };
    /** the portal, for the quota's day (its zone) and an overflow queue's people */
    client: PortalClient;
  },
): Promise<AddOutcome | 'decided'> {
  const now = d.clock();
  const kind = kindOf(d);
  const statesFor = async (q: LeadQueue, extra: number[]): Promise<OperatorState[]> => {
    const want = new Set([...(q.id === queue.id ? ids : q.rules.queue.map((m) => m.id)), ...extra]);
    const missing = [...want].filter((id) => !infos.has(id));
    if (missing.length > 0)
      for (const [id, i] of await d.operators.get(memberId, o.client, missing)) infos.set(id, i);
    const [queueState, counts] = await Promise.all([
      d.queueState.get(memberId, q.id),
      d.leads.loads(memberId, [...want], kind.openStatuses(settings)),
    ]);
    const loads = new Map<number, Partial<OpenLoad>>([...counts].map(([id, n]) => [id, { notAnswered: n }]));
    // Someone back from an absence takes their turn with the others, not every lead (engine/returns.ts).
    return returnOffsets(
      toOperatorStates(want, infos, { settings: opSettings, queue: queueState, loads }),
      q.rules,
      now,
    );
  };
  const item = { id: lead.id, kind: 'lead' as const, arrivedAt: o.receivedAt, crm: links };
  const handover = o.handover
    ? handoverDecision(queue, await statesFor(queue, []), lead, o.handover, now)
    : null;
  // The quota caps the queue first; past everyone's cap its overflow decides (quota-decision.ts).
  const { decision: dec, queue: target } = handover
    ? { decision: handover, queue }
    : await decideUnderQuota(d.quota, memberId, o.client, settings, queue, item, opSettings, now, statesFor);
  // Whom the new operator stands in for; a handover's waiting item keeps it too (lead-service.ts places it later).
  const cover = o.handover?.cover ?? (dec.action === 'assign' ? o.covers?.get(dec.operatorId) : undefined);
  if (cover && (o.handover || dec.reason.rule === 'responsible_manager'))
    dec.reason = { ...dec.reason, cover };

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
        leadComment(o.lang, target.route, dec.reason, nameOf, kind.defaultQueueName),
        o.lang,
        decisionRef(memberId, lead.id, now),
      ),
      receivedAt: o.receivedAt,
      at: now,
    });
    if (!recorded) return 'already';
    // After the decision's record: a crash between the two costs the operator's turn, never a second assignment.
    // A handover to a deputy is nobody's turn.
    if (dec.reason.rule !== 'handover')
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

/**
 * An absent person's item at the start of the absence goes to their deputy when the deputy is
 * available for this queue; otherwise (no deputy, or away themselves) the queue decides.
 */
function handoverDecision(
  queue: LeadQueue,
  states: readonly OperatorState[],
  lead: LeadFacts,
  h: { to: number | null; cover: Cover } | undefined,
  now: number,
): Decision | null {
  if (!h || h.to === null) return null;
  const deputy = states.find((s) => s.id === h.to);
  // Available by the full check, whatever the queue's own setting: a deputy away themselves covers nobody.
  const strict = { ...queue.rules, availability: { ...queue.rules.availability, check: true } };
  if (!deputy || availabilityOf(deputy, strict, now) !== null) return null;
  return {
    action: 'assign',
    itemId: lead.id,
    operatorId: h.to,
    stamp: now,
    reason: {
      rule: 'handover',
      operatorId: h.to,
      skipped: { at_capacity: [], unavailable: [] },
      cover: h.cover,
    },
  };
}
