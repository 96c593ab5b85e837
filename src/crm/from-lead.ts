import type { CrmEntity, CrmLink } from '../engine/index.ts';
import type { DealSettings } from '../settings/deals.ts';
import { type CrmSettings, dealQueueFor, keepsLeadOwner } from './kind.ts';
import type { LeadFacts } from './lead-read.ts';
import { kindOf, type LeadServiceDeps } from './lead-types.ts';
import type { LeadQueue } from './policy.ts';

export interface FromLead {
  leadId: number;
  /** the route (or the default) keeps the lead's person */
  keep: boolean;
  queue: LeadQueue;
  /** keep: the lead's person as the link that wins */
  links: CrmLink[];
}

/**
 * A deal converted from a lead the app placed keeps the lead's person, unless its route (or
 * the deals' default) says otherwise. "The lead's person" is whoever holds the lead now (a
 * person may have moved it since). They get the deal through the queue's responsible-manager
 * rule, with the lead as the link that wins: so the queue's availability check and limit still
 * apply, an absence still hands the deal to the deputy, and the reason and comment say so.
 * With the rule off, the deal is the route's to distribute: the responsible the conversion
 * copied from the lead is the portal's default, not a person's choice.
 * Returns null when the deal comes from no lead the app placed (or this is a lead).
 */
export async function fromLead(
  d: LeadServiceDeps,
  memberId: string,
  settings: CrmSettings,
  facts: LeadFacts,
): Promise<FromLead | null> {
  if (kindOf(d).name !== 'deal' || facts.sourceLeadId <= 0 || !d.sourceLeads) return null;
  const s = settings as DealSettings;
  const lead = await d.sourceLeads.get(memberId, facts.sourceLeadId);
  if (lead?.phase !== 'done' || !lead.holderId) return null;
  const base = dealQueueFor(s, facts);
  if (!keepsLeadOwner(s, base)) return { leadId: lead.leadId, keep: false, queue: base, links: [] };
  const precedence: CrmEntity[] = ['lead', ...base.rules.responsible.precedence.filter((e) => e !== 'lead')];
  const rules = { ...base.rules, responsible: { enabled: true, precedence } };
  return {
    leadId: lead.leadId,
    keep: true,
    queue: { ...base, rules },
    links: [{ entity: 'lead', responsibleId: lead.holderId }],
  };
}
