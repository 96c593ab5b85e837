import type { Cover } from '../absence/cover.ts';
import {
  availabilityOf,
  type CrmLink,
  type Decision,
  type OpenLoad,
  type OperatorState,
  returnOffsets,
} from '../engine/index.ts';
import type { LeadOutcome, SyncedLead } from '../db/repositories/leads.ts';
import { limitOf, membersById } from '../engine/availability.ts';
import { type OperatorInfo, toOperatorStates } from '../operators/index.ts';
import type { BatchResult, PortalClient } from '../portal/client.ts';
import type { SettingsService } from '../settings/service.ts';
import { decisionRef, leadComment, withRef } from './comment.ts';
import { commandError } from './batch.ts';
import type { LeadLog } from './lead-log.ts';
import { clientMatches, type LeadFacts, linkReadCommands, parseLinks } from './lead-read.ts';
import type { CrmSettings } from './kind.ts';
import { type AddOutcome, kindOf, type LeadServiceDeps, readBatch } from './lead-types.ts';
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

/**
 * Under the queue's lock: the load and queue state as of now, the engine's decision, and its record.
 *
 * Limits hold under load (issue 20). The register's load lags the portal by the events still on
 * their way (a lead an open line made follows its dialog's operator; a person's reassignment), and
 * another queue may be deciding for the same operator at this moment. So when the chosen operator
 * has a limit: their open items are read on the portal (one list read, in one batch with other
 * reads on their way) and put in the register; then the decision is recorded only if the
 * register's count, decisions not yet written included, is still under the limit (one transaction
 * under a lock per operator). One found full is left out and the choice made again. A handover to
 * an absent person's deputy is the settings' explicit choice, not the queue's, and is not checked.
 */
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
    /** the portal: the limit check, the quota's day (its zone) and an overflow queue's people */
    client: PortalClient;
    /** deputies standing in for absent responsibles (absence/cover.ts): the reason says whom they cover */
    covers?: ReadonlyMap<number, Cover>;
    /** an absent person's item at the start of the absence: to their deputy, or (null) to the queue */
    handover?: { to: number | null; cover: Cover };
  },
): Promise<AddOutcome | 'decided'> {
  const now = d.clock();
  const kind = kindOf(d);
  const open = kind.openStatuses(settings);
  /** operators found full on the portal or by the locked record this time: their load from then on */
  const full = new Map<number, number>();
  const statesFor = async (q: LeadQueue, extra: number[]): Promise<OperatorState[]> => {
    const want = new Set([...(q.id === queue.id ? ids : q.rules.queue.map((m) => m.id)), ...extra]);
    const missing = [...want].filter((id) => !infos.has(id));
    if (missing.length > 0)
      for (const [id, i] of await d.operators.get(memberId, o.client, missing)) infos.set(id, i);
    const [queueState, counts] = await Promise.all([
      d.queueState.get(memberId, q.id),
      d.leads.loads(memberId, [...want], open),
    ]);
    const loads = new Map<number, Partial<OpenLoad>>([...counts].map(([id, n]) => [id, { notAnswered: n }]));
    for (const [id, n] of full) if (want.has(id)) loads.set(id, { notAnswered: n });
    // Someone back from an absence takes their turn with the others, not every lead (engine/returns.ts).
    return returnOffsets(
      toOperatorStates(want, infos, { settings: opSettings, queue: queueState, loads }),
      q.rules,
      now,
    );
  };
  const item = { id: lead.id, kind: 'lead' as const, arrivedAt: o.receivedAt, crm: links };
  // Each round leaves out one operator found full, so it ends within the candidates.
  for (let round = 0; round <= ids.size + 1; round++) {
    const handover = o.handover
      ? handoverDecision(queue, await statesFor(queue, []), lead, o.handover, now)
      : null;
    // The quota caps the queue first; past everyone's cap its overflow decides (quota-decision.ts).
    const { decision: dec, queue: target } = handover
      ? { decision: handover, queue }
      : await decideUnderQuota(
          d.quota,
          kind,
          memberId,
          o.client,
          settings,
          queue,
          item,
          opSettings,
          now,
          statesFor,
        );
    // Whom the new operator stands in for; a handover's waiting item keeps it too (lead-service.ts places it later).
    const cover = o.handover?.cover ?? (dec.action === 'assign' ? o.covers?.get(dec.operatorId) : undefined);
    if (cover && (o.handover || dec.reason.rule === 'responsible_manager'))
      dec.reason = { ...dec.reason, cover };
    if (dec.action !== 'assign') return notAssigned(journal, memberId, lead, queue.id, dec, o);

    // A handover to a deputy and the quota's overflow person are the settings' explicit choices: no queue limit.
    const limit =
      dec.reason.rule === 'handover' || dec.reason.rule === 'quota_overflow'
        ? null
        : limitOf(target.rules, membersById(target.rules).get(dec.operatorId));
    if (limit !== null) {
      const onPortal = await openItemsOf(d, o.client, dec.operatorId, lead, open);
      await d.leads.applySync(memberId, onPortal.rows, [], d.clock());
      if (onPortal.count >= limit) {
        d.log.info(
          { memberId, id: lead.id, operatorId: dec.operatorId, portal: onPortal.count, limit },
          'limit: the portal shows the chosen operator full; choosing again',
        );
        full.set(dec.operatorId, onPortal.count);
        continue;
      }
    }
    const nameOf = (id: number) => infos.get(id)?.name || `#${id}`;
    const outcome: LeadOutcome = {
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
    };
    const recorded =
      limit === null
        ? (await d.leads.recordOutcome(outcome))
          ? 'recorded'
          : 'already'
        : await d.leads.recordWithinLimit(outcome, limit, open);
    if (recorded === 'already') return 'already';
    if (recorded === 'full') {
      // Another queue's decision for this operator took the last place meanwhile.
      full.set(dec.operatorId, limit!);
      continue;
    }
    // After the decision's record: a crash between the two costs the operator's turn, never a second assignment.
    // A handover to a deputy is nobody's turn.
    if (dec.reason.rule !== 'handover')
      await d.queueState.recordAssignment(memberId, target.id, dec.operatorId, dec.stamp, dec.credits);
    await d.quota?.record(memberId, lead.id, dec.operatorId, now, kind.name);
    return 'decided';
  }
  // Unreachable while each round leaves one candidate out; an error lets the event run again.
  throw new Error(`${kind.name} ${lead.id}: no decision after ${ids.size + 2} rounds`);
}

/** A decision that gives the item to nobody: it waits, or it is left where it is. */
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

/** The operator's open items of this kind on the portal, this one left out: the first page's rows and the total. */
async function openItemsOf(
  d: LeadServiceDeps,
  client: PortalClient,
  operatorId: number,
  lead: LeadFacts,
  open: readonly string[],
): Promise<{ count: number; rows: SyncedLead[] }> {
  const kind = kindOf(d);
  const r = await readBatch(d, client, {
    open: [
      'crm.item.list',
      {
        entityTypeId: kind.entityTypeId,
        filter: { assignedById: operatorId, [`@${kind.statusField}`]: [...open] },
        select: ['id', 'assignedById', kind.statusField],
        order: { id: 'ASC' },
        start: 0,
      },
    ],
  });
  if (r.errors.open) throw commandError('crm.item.list', r.errors.open);
  const items = ((r.results.open as { items?: Record<string, unknown>[] } | undefined)?.items ?? []).filter(
    (it) => Number(it.id) !== lead.id,
  );
  const own = lead.assignedById === operatorId && open.includes(lead.statusId) ? 1 : 0;
  const total = r.totals?.open ?? items.length + own;
  return {
    count: Math.max(items.length, total - own),
    rows: items.map((it) => ({
      leadId: Number(it.id),
      holderId: operatorId,
      statusId: String(it[kind.statusField] ?? ''),
    })),
  };
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
