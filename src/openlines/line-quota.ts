import { type QuotaLedgerRepository, recordQuota } from '../db/repositories/quota-ledger.ts';
import type { Queryable } from '../db/store.ts';
import { capOf, type Dispatcher, type Item, periodStarts, type QuotaCaps } from '../engine/index.ts';
import type { OperatorsSettings } from '../settings/schema.ts';
import type { QuotaSettings } from '../settings/speed.ts';

/**
 * A line's quota on dialogs (issue 18 item 2), as its index holds it: at most N of the line's
 * dialogs per operator per day (the portal's midnight, or the settings' zone) or per shift.
 * The count is the store's (quota_ledger, per line), read and written inside the queue's turn
 * (queue-turn.ts), under the lock every process takes for the line: the cap holds across
 * processes. The engine keeps it as each operator's room (`quotaLeft`): a member with none
 * sits decisions out (`over_quota`) and the mode, weighted shares included, decides among the
 * rest; a drain takes room off with each assignment. Past everyone's cap a dialog waits (the
 * sync job drains the line when the period resets) or goes to the overflow person, whose
 * room is counted the same way.
 */
export interface LineQuota {
  caps: QuotaCaps;
  period: QuotaSettings['period'];
  /** the zone of "midnight": the settings' or the portal's */
  zone: string | number;
  /** whose schedule starts a shift */
  operators: OperatorsSettings;
}

export function lineQuotaOf(
  q: QuotaSettings,
  zone: string | number,
  operators: OperatorsSettings,
): LineQuota | undefined {
  if (!q.enabled) return undefined;
  return { caps: { perOperator: q.perOperator, operators: q.operators }, period: q.period, zone, operators };
}

/** The overflow person the line's quota names (a chat overflows to nobody else). */
export function overflowPerson(q: QuotaSettings): number | null {
  return q.enabled && q.overflow.to === 'person' ? q.overflow.userId : null;
}

/**
 * Inside the queue's turn: each operator's room this period, from the ledger as every process
 * wrote it, set on the index's operators (changed ones only).
 */
export async function refreshRoom(
  ledger: QuotaLedgerRepository,
  tx: Queryable,
  memberId: string,
  queueId: string,
  dispatcher: Dispatcher,
  quota: LineQuota,
  now: number,
): Promise<void> {
  const states = dispatcher.states();
  const since = periodStarts(
    quota.period,
    quota.zone,
    states.map((s) => s.id),
    (id) => quota.operators[String(id)]?.schedule,
    now,
  );
  const counts = await ledger.counts(memberId, 'dialog', since, { queueId, q: tx });
  for (const st of states) {
    const cap = capOf(quota.caps, st.id);
    const left = cap === null ? null : Math.max(0, cap - (counts.get(st.id) ?? 0));
    if ((st.quotaLeft ?? null) !== left) dispatcher.upsertOperator({ ...st, quotaLeft: left });
  }
}

/** The ledger's name of a dialog: its session (one dialog, whichever row or event names it). */
export function dialogRef(sessionId: number): string {
  return `session:${sessionId}`;
}

export function quotaKeyOf(item: Item): string {
  return item.ref ?? String(item.id);
}

/** The turn's assignments in the ledger, in the turn's transaction. */
export async function recordRoom(
  tx: Queryable,
  memberId: string,
  queueId: string,
  given: readonly { key: string; operatorId: number }[],
  now: number,
): Promise<void> {
  for (const g of given)
    await recordQuota(tx, {
      memberId,
      kind: 'dialog',
      objectId: g.key,
      operatorId: g.operatorId,
      at: now,
      queueId,
    });
}
