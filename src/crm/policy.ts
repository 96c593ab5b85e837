import type { QueueRules } from '../engine/index.ts';
import type { LeadSettings } from '../settings/schema.ts';
import type { LeadFacts } from './lead-read.ts';

export const DEFAULT_QUEUE = 'leads:default';

export interface LeadQueue {
  /** queue_state / assignment-log id: `leads:default` or `leads:<route name>` */
  id: string;
  /** the route's name; null for the default queue */
  route: string | null;
  rules: QueueRules;
}

/**
 * The queue a lead goes to: the first route whose sources (SOURCE_ID) and open lines both
 * match, an empty list matching anything; no route → the default queue.
 */
export function queueFor(settings: LeadSettings, lead: Pick<LeadFacts, 'sourceId' | 'lineId'>): LeadQueue {
  for (const r of settings.routes) {
    const sourceOk = r.sources.length === 0 || r.sources.includes(lead.sourceId);
    const lineOk = r.lineIds.length === 0 || (lead.lineId !== null && r.lineIds.includes(lead.lineId));
    if (sourceOk && lineOk) return { id: `leads:${r.name}`, route: r.name, rules: r.rules };
  }
  return { id: DEFAULT_QUEUE, route: null, rules: settings.rules };
}

/** Every lead queue of the portal's settings. */
export function allQueues(settings: LeadSettings): LeadQueue[] {
  return [
    { id: DEFAULT_QUEUE, route: null, rules: settings.rules },
    ...settings.routes.map((r) => ({ id: `leads:${r.name}`, route: r.name, rules: r.rules })),
  ];
}

/** Whether any queue sends a known client to their manager (then the first read looks for the client). */
export function anyQueueFindsClient(settings: LeadSettings): boolean {
  return allQueues(settings).some((q) => q.rules.responsible.enabled);
}

export type LeaveAloneWhy = 'responsible_chosen' | 'from_assigned_dialog';

/**
 * Leads the app does not place.
 *
 * "A person already chose the responsible": the portal makes a new lead's creator its
 * responsible unless someone picks another, so a lead whose responsible differs from its
 * creator was given to that person on purpose. A lead whose responsible is its creator (a
 * web form, an import, a colleague who left the default) is the app's to place. A creator
 * who deliberately chose themselves cannot be told apart from the default; we place such
 * leads too.
 *
 * "From a dialog the app already assigned": the lead carries the open-line identity of a
 * dialog the app gave to an operator; that operator keeps the client.
 */
export function leaveAloneWhy(
  settings: LeadSettings,
  lead: LeadFacts,
  dialogOperatorId: number | null,
): LeaveAloneWhy | null {
  // The more specific reason first: the portal moves a dialog's lead along with the dialog,
  // so such a lead also looks as if a person had chosen its responsible.
  if (settings.skipIfFromAssignedDialog && lead.userCode !== null && dialogOperatorId !== null) {
    return 'from_assigned_dialog';
  }
  if (
    settings.skipIfResponsibleChosen &&
    lead.assignedById > 0 &&
    lead.createdById > 0 &&
    lead.assignedById !== lead.createdById
  ) {
    return 'responsible_chosen';
  }
  return null;
}
