import type { DealSettings } from '../settings/deals.ts';
import type { LeadSettings } from '../settings/schema.ts';
import type { SettingsService } from '../settings/service.ts';
import { DEAL, LEAD, type LeadFacts, parseLead } from './lead-read.ts';
import {
  allQueues,
  anyQueueFindsClient,
  type LeadQueue,
  type LeaveAloneWhy,
  leaveAloneWhy,
  queueFor,
} from './policy.ts';

/** The settings of either kind; each kind reads only its own. */
export type CrmSettings = LeadSettings | DealSettings;

/**
 * The seam between the lead machinery and what it places: leads (ONCRMLEADADD) and deals
 * (ONCRMDEALADD) go through the same read → decide → record → write → read-back path
 * (lead-service.ts and its parts); what differs is here: the entity type, the register's
 * table, the timeline's owner type, the settings scope, how an item finds its queue, and what
 * counts as open toward a limit.
 */
export interface CrmKind {
  name: 'lead' | 'deal';
  entityTypeId: number;
  /** crm.timeline.comment.* ENTITY_TYPE */
  timeline: 'lead' | 'deal';
  /** inbox lane and object-key prefix; queue-id prefix is `${name}s` */
  settings(svc: SettingsService, memberId: string): Promise<CrmSettings>;
  /** facts from a crm.item.get answer */
  parse(result: unknown): LeadFacts | null;
  queueFor(s: CrmSettings, facts: LeadFacts): LeadQueue;
  allQueues(s: CrmSettings): LeadQueue[];
  /** register statuses that count toward a limit (a lead's stage; a deal's stage group) */
  openStatuses(s: CrmSettings): readonly string[];
  /** the crm.item.list filter field those statuses are in */
  statusField: 'stageId' | 'stageSemanticId';
  /** whether the first read searches the client by phone and e-mail */
  findsClient(s: CrmSettings): boolean;
  /** whether the item may belong to an open-line dialog the app placed */
  fromDialogs(s: CrmSettings): boolean;
  leaveAloneWhy(s: CrmSettings, facts: LeadFacts, dialogOperatorId: number | null): LeaveAloneWhy | null;
  /** the timeline comment's name of the default queue */
  defaultQueueName: { ru: string; en: string };
}

const asLead = (s: CrmSettings) => s as LeadSettings;
const asDeal = (s: CrmSettings) => s as DealSettings;

export const LEAD_KIND: CrmKind = {
  name: 'lead',
  entityTypeId: LEAD,
  timeline: 'lead',
  settings: (svc, m) => svc.leads(m),
  parse: parseLead,
  queueFor: (s, f) => queueFor(asLead(s), f),
  allQueues: (s) => allQueues(asLead(s)),
  openStatuses: (s) => asLead(s).openStatuses,
  statusField: 'stageId',
  findsClient: (s) => anyQueueFindsClient(asLead(s)),
  fromDialogs: (s) => asLead(s).skipIfFromAssignedDialog,
  leaveAloneWhy: (s, f, op) => leaveAloneWhy(asLead(s), f, op),
  defaultQueueName: { ru: 'основная очередь лидов', en: 'default lead queue' },
};

export const DEAL_DEFAULT_QUEUE = 'deals:default';
/** A deal in progress: stage group P (S = won, F = lost). */
export const DEAL_OPEN = ['P'] as const;

function dealQueues(s: DealSettings): LeadQueue[] {
  return [
    { id: DEAL_DEFAULT_QUEUE, route: null, rules: s.rules },
    ...s.routes.map((r) => ({ id: `deals:${r.name}`, route: r.name, rules: r.rules })),
  ];
}

/**
 * The queue a deal goes to: the first route whose pipelines and sources both match (an empty
 * list matches anything); no route → the default queue. A deal converted from a lead whose
 * person keeps it is told so by `keepsLeadOwner` below; the queue still decides whether they can.
 */
export function dealQueueFor(s: DealSettings, f: Pick<LeadFacts, 'categoryId' | 'sourceId'>): LeadQueue {
  for (const r of s.routes) {
    const categoryOk =
      r.categoryIds.length === 0 || (f.categoryId !== null && r.categoryIds.includes(f.categoryId));
    const sourceOk = r.sources.length === 0 || r.sources.includes(f.sourceId);
    if (categoryOk && sourceOk) return { id: `deals:${r.name}`, route: r.name, rules: r.rules };
  }
  return { id: DEAL_DEFAULT_QUEUE, route: null, rules: s.rules };
}

/** Whether a deal converted from a lead goes to the lead's person under its route (or the default). */
export function keepsLeadOwner(s: DealSettings, queue: LeadQueue): boolean {
  const route = queue.route === null ? undefined : s.routes.find((r) => r.name === queue.route);
  return route?.keepLeadOwner ?? s.keepLeadOwner;
}

export const DEAL_KIND: CrmKind = {
  name: 'deal',
  entityTypeId: DEAL,
  timeline: 'deal',
  settings: (svc, m) => svc.deals(m),
  parse(result) {
    const f = parseLead(result);
    if (!f) return null;
    const item = (result as { item: Record<string, unknown> }).item;
    // The stage group, not the stage: stages are per pipeline, their group is not.
    return { ...f, statusId: String(item.stageSemanticId ?? 'P'), userCode: null, lineId: null };
  },
  queueFor: (s, f) => dealQueueFor(asDeal(s), f),
  allQueues: (s) => dealQueues(asDeal(s)),
  openStatuses: () => DEAL_OPEN,
  statusField: 'stageSemanticId',
  // A deal carries no phone or e-mail of its own: its contact and company are the client.
  findsClient: () => false,
  fromDialogs: () => false,
  leaveAloneWhy(s, f) {
    const d = asDeal(s);
    if (
      d.skipIfResponsibleChosen &&
      f.assignedById > 0 &&
      f.createdById > 0 &&
      f.assignedById !== f.createdById
    ) {
      return 'responsible_chosen';
    }
    return null;
  },
  defaultQueueName: { ru: 'основная очередь сделок', en: 'default deal queue' },
};
