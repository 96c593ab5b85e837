import type { QuotaLedgerRepository } from '../db/repositories/quota-ledger.ts';
import {
  applyQuota,
  dayStart,
  type QueueRules,
  type QuotaCaps,
  type Reason,
  shiftStart,
  underCap,
} from '../engine/index.ts';
import type { PortalClient } from '../portal/client.ts';
import type { OperatorsSettings } from '../settings/schema.ts';
import type { QuotaSettings } from '../settings/speed.ts';

/**
 * Quotas on lead distribution (issue 18): at most N leads per operator per day (the portal's
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

  /** The queue's rules under the quota for a decision at `now`; `extra`: others whose room is asked. */
  async view(
    memberId: string,
    client: PortalClient,
    quota: QuotaSettings,
    rules: QueueRules,
    operators: OperatorsSettings,
    now: number,
    extra: readonly number[] = [],
  ): Promise<QuotaView> {
    if (!quota.enabled) return { ...OPEN, rules };
    const caps: QuotaCaps = { perOperator: quota.perOperator, operators: quota.operators };
    const ids = [...new Set([...rules.queue.map((m) => m.id), ...extra])];
    const zone = quota.timeZone ?? (await this.d.portalZone(memberId, client));
    const day = dayStart(now, zone);
    const since = new Map<number, number>();
    for (const id of ids) {
      const schedule = operators[String(id)]?.schedule;
      since.set(id, quota.period === 'shift' && schedule ? (shiftStart(now, schedule) ?? day) : day);
    }
    const counts = await this.d.ledger.counts(memberId, 'lead', since);
    const applied = applyQuota(rules, caps, counts);
    return { rules: applied.rules, over: applied.over, room: (id) => underCap(caps, id, counts) };
  }

  record(memberId: string, leadId: number, operatorId: number, at: number): Promise<void> {
    return this.d.ledger.record({ memberId, kind: 'lead', objectId: String(leadId), operatorId, at });
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
