import { type Decision, decide, type Item, type OperatorState } from '../engine/index.ts';
import type { LeadSettings, OperatorsSettings } from '../settings/schema.ts';
import type { PortalClient } from '../portal/client.ts';
import type { CrmSettings } from './kind.ts';
import { allQueues, type LeadQueue } from './policy.ts';
import { type QuotaGate, withQuotaSkips } from './quota.ts';

export interface QuotaDecision {
  decision: Decision;
  /** the queue the lead goes to: its own, or the overflow route's */
  queue: LeadQueue;
}

/**
 * The engine's decision for a lead with the quota applied: members at their cap sit it out
 * and the queue's mode decides among the rest. When that leaves nobody because of the quota,
 * the settings' overflow decides: a person (under their own cap, and not dismissed), another
 * lead route's queue (its own quota applied), or waiting until the quota resets.
 */
export async function decideUnderQuota(
  gate: QuotaGate | undefined,
  memberId: string,
  client: PortalClient,
  settings: CrmSettings,
  queue: LeadQueue,
  item: Item,
  opSettings: OperatorsSettings,
  now: number,
  statesFor: (q: LeadQueue, extra: number[]) => Promise<OperatorState[]>,
): Promise<QuotaDecision> {
  // Deals have no quota in their settings: only leads are capped.
  const lead = 'quota' in settings ? (settings as LeadSettings) : null;
  const overflow = lead?.quota.overflow;
  const person = overflow?.to === 'person' ? overflow.userId : null;
  const view =
    gate && lead
      ? await gate.view(memberId, client, lead.quota, queue.rules, opSettings, now, person ? [person] : [])
      : null;
  const states = await statesFor(queue, person ? [person] : []);
  const plain = decide(view?.rules ?? queue.rules, states, item, now);
  if (!view || view.over.length === 0) return { decision: plain, queue };
  const decision = { ...plain, reason: withQuotaSkips(plain.reason, view.over) } as Decision;
  if (decision.action !== 'wait') return { decision, queue };

  if (person !== null && view.room(person) && states.find((s) => s.id === person)?.active) {
    return {
      queue,
      decision: {
        action: 'assign',
        itemId: item.id,
        operatorId: person,
        stamp: now,
        reason: { rule: 'quota_overflow', operatorId: person, skipped: decision.reason.skipped },
      },
    };
  }
  if (lead && overflow?.to === 'route') {
    const other = allQueues(lead).find((q) => q.route === overflow.route && q.id !== queue.id);
    if (other) {
      const otherView = await gate!.view(memberId, client, lead.quota, other.rules, opSettings, now);
      const d = decide(otherView.rules, await statesFor(other, []), { ...item, crm: [] }, now);
      if (d.action === 'assign') {
        const reason = { ...withQuotaSkips(d.reason, otherView.over), detail: 'quota_overflow_route' };
        return { queue: other, decision: { ...d, reason } };
      }
    }
  }
  return { queue, decision: { ...decision, reason: { ...decision.reason, detail: 'quota_reached' } } };
}
