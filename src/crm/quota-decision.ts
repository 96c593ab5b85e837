import { type Decision, decide, type Item, type OperatorState } from '../engine/index.ts';
import type { OperatorsSettings } from '../settings/schema.ts';
import type { PortalClient } from '../portal/client.ts';
import type { CrmKind, CrmSettings } from './kind.ts';
import type { LeadQueue } from './policy.ts';
import { type QuotaGate, withQuotaSkips } from './quota.ts';

export interface QuotaDecision {
  decision: Decision;
  /** the queue the lead goes to: its own, or the overflow route's */
  queue: LeadQueue;
}

/**
 * The engine's decision for a lead or a deal with its kind's quota applied (`leads.quota`,
 * `deals.quota`; a deal cap counts deals): members at their cap sit it out and the queue's mode
 * decides among the rest. When that leaves nobody because of the quota, the settings' overflow
 * decides: a person (under their own cap, and not dismissed), another route's queue of the same
 * kind (its own quota applied), or waiting until the quota resets.
 */
export async function decideUnderQuota(
  gate: QuotaGate | undefined,
  kind: CrmKind,
  memberId: string,
  client: PortalClient,
  settings: CrmSettings,
  queue: LeadQueue,
  item: Item,
  opSettings: OperatorsSettings,
  now: number,
  statesFor: (q: LeadQueue, extra: number[]) => Promise<OperatorState[]>,
): Promise<QuotaDecision> {
  const quota = settings.quota;
  const overflow = quota.overflow;
  const person = overflow.to === 'person' ? overflow.userId : null;
  const counted = { kind: kind.name };
  const view = gate
    ? await gate.view(memberId, client, quota, queue.rules, opSettings, now, {
        ...counted,
        extra: person ? [person] : [],
      })
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
  if (gate && overflow.to === 'route') {
    const other = kind.allQueues(settings).find((q) => q.route === overflow.route && q.id !== queue.id);
    if (other) {
      const otherView = await gate.view(memberId, client, quota, other.rules, opSettings, now, counted);
      const d = decide(otherView.rules, await statesFor(other, []), { ...item, crm: [] }, now);
      if (d.action === 'assign') {
        const reason = { ...withQuotaSkips(d.reason, otherView.over), detail: 'quota_overflow_route' };
        return { queue: other, decision: { ...d, reason } };
      }
    }
  }
  return { queue, decision: { ...decision, reason: { ...decision.reason, detail: 'quota_reached' } } };
}
