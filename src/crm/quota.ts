import type { QuotaKind, QuotaLedgerRepository } from '../db/repositories/quota-ledger.ts';
import {
  applyQuota,
  periodStarts,
  type QueueRules,
  type QuotaCaps,
  type Reason,
  underCap,
} from '../engine/index.ts';
import type { PortalClient } from '../portal/client.ts';
import type { OperatorsSettings } from '../settings/schema.ts';
import type { QuotaSettings } from '../settings/speed.ts';

/**
 * Quotas on lead and deal distribution (issues 18, 19): at most N leads (deals: N deals, counted
 * on their own) per operator per day (the portal's
 * midnight, or the zone the settings name) or per shift (the start of the operator's current
 * working interval in their schedule; without a schedule, the day). Counts come from the store
 * (quota_ledger) at each decision, so a second process sees the same. The quota is a hard cap
 * applied before the queue's mode: members at their cap sit the decision out, and the mode
 * (weighted shares included) decides among the rest.
 */
export interface QuotaGateDeps {
  ledger: QuotaLedgerRepository;
  /** the portal's zone for "midnight": an IANA name or minutes east of UTC */
  portalZone(memberId: string, client: PortalClient): Promise<string | number>;
}

export interface QuotaView {
  /** the rules with members at their cap excluded (the same object when no quota applies) */
  rules: QueueRules;
  /** members at or past their cap, in queue order */
  over: number[];
  /** whether one more item may go to this operator */
  room(operatorId: number): boolean;
}

const OPEN: QuotaView = { rules: undefined as unknown as QueueRules, over: [], room: () => true };

export class QuotaGate {
  constructor(private readonly d: QuotaGateDeps) {}

  /**
   * The queue's rules under the quota for a decision at `now`; `extra`: others whose room is
   * asked; `kind`: what is counted (a deal cap counts deals).
   */
  async view(
    memberId: string,
    client: PortalClient,
    quota: QuotaSettings,
    rules: QueueRules,
    operators: OperatorsSettings,
    now: number,
    o: { extra?: readonly number[]; kind?: QuotaKind } = {},
  ): Promise<QuotaView> {
    if (!quota.enabled) return { ...OPEN, rules };
    const caps: QuotaCaps = { perOperator: quota.perOperator, operators: quota.operators };
    const ids = [...new Set([...rules.queue.map((m) => m.id), ...(o.extra ?? [])])];
    const zone = quota.timeZone ?? (await this.d.portalZone(memberId, client));
    const since = periodStarts(quota.period, zone, ids, (id) => operators[String(id)]?.schedule, now);
    const counts = await this.d.ledger.counts(memberId, o.kind ?? 'lead', since);
    const applied = applyQuota(rules, caps, counts);
    return { rules: applied.rules, over: applied.over, room: (id) => underCap(caps, id, counts) };
  }

  record(
    memberId: string,
    itemId: number,
    operatorId: number,
    at: number,
    kind: QuotaKind = 'lead',
  ): Promise<void> {
    return this.d.ledger.record({ memberId, kind, objectId: String(itemId), operatorId, at });
  }
}

/**
 * Members at their cap show in a decision's reason as "over quota", not as "not auto-assigned"
 * (which is how the engine saw them).
 */
export function withQuotaSkips(reason: Reason, over: readonly number[]): Reason {
  if (over.length === 0) return reason;
  const capped = new Set(over);
  return {
    ...reason,
    skipped: {
      ...reason.skipped,
      unavailable: reason.skipped.unavailable.filter((u) => !(capped.has(u.id) && u.why === 'excluded')),
      over_quota: [...over],
    },
  };
}
