import type { CrmEntity, Mode, QueueRules } from './schema.ts';
import type {
  Decision,
  IneligibleWhy,
  Item,
  PassOnRequest,
  Reason,
  Skipped,
  UnavailableWhy,
} from './types.ts';

/**
 * The order of rules for one decision, shared by the pure reference and the index so their
 * reasons cannot drift apart; each supplies the queries below over its own data.
 */
export interface QueueView {
  /** Eligibility of any operator given to the engine (member or not); null = eligible. */
  status(id: number): IneligibleWhy | null;
  /** Availability as if the queue checked it (to say "assigned although offline"). */
  strictAvailability(id: number): UnavailableWhy | null;
  isMember(id: number): boolean;
  memberCount(): number;
  /** The mode's best eligible member outside `exclude`, or null. */
  pick(mode: Exclude<Mode, 'all'>, exclude: ReadonlySet<number> | null): number | null;
  /** Strictly's walk: the first eligible member after `holderId` in queue order, wrapping, outside `exclude`. */
  pickAfter(holderId: number, exclude: ReadonlySet<number>): number | null;
  /** Ineligible members in queue order, capped at SKIPPED_LIST_LIMIT. */
  skipped(): Skipped;
  /** Eligible members of `round` other than the holder, in queue order. */
  eligibleInQueueOrder(ids: ReadonlySet<number>): number[];
  /** A lastAssignedAt value greater than every one the queue holds, and at least `now`. */
  stamp(now: number): number;
  /** Reference only: members' credits after a weighted pick of `winner` among eligible minus `exclude`. */
  credits?(winner: number, exclude: ReadonlySet<number> | null): Record<number, number>;
}

/** How many ineligible operators a reason lists by id; the rest are only counted. */
export const SKIPPED_LIST_LIMIT = 50;

const EMPTY_SET: ReadonlySet<number> = new Set();

export function noneSkipped(): Skipped {
  return { at_capacity: [], unavailable: [] };
}

/** The responsible of the highest-precedence CRM link the item has. */
export function responsibleOf(
  item: Item,
  precedence: readonly CrmEntity[],
): { entity: CrmEntity; operatorId: number } | null {
  if (!item.crm || item.crm.length === 0) return null;
  for (const entity of precedence) {
    const link = item.crm.find((l) => l.entity === entity);
    if (link) return { entity, operatorId: link.responsibleId };
  }
  return null;
}

function assign(v: QueueView, item: Item, operatorId: number, now: number, reason: Reason): Decision {
  return { action: 'assign', itemId: item.id, operatorId, stamp: v.stamp(now), reason };
}

function coverOf(item: Item, operatorId: number): Pick<Reason, 'cover'> {
  const c = item.covers?.[operatorId];
  return c ? { cover: c } : {};
}

export function decideWith(v: QueueView, rules: QueueRules, item: Item, now: number): Decision {
  const extra: Pick<Reason, 'responsible' | 'sticky'> = {};
  if (rules.responsible.enabled) {
    const r = responsibleOf(item, rules.responsible.precedence);
    if (r) {
      const why = v.status(r.operatorId);
      if (why === null) {
        const despite = rules.availability.check ? null : v.strictAvailability(r.operatorId);
        const responsible = {
          operatorId: r.operatorId,
          entity: r.entity,
          ...(despite ? { assignedDespite: despite } : {}),
        };
        return assign(v, item, r.operatorId, now, {
          rule: 'responsible_manager',
          operatorId: r.operatorId,
          skipped: noneSkipped(),
          responsible,
          ...coverOf(item, r.operatorId),
        });
      }
      extra.responsible = { operatorId: r.operatorId, entity: r.entity, passedOver: why };
    }
  }
  if (rules.sticky.enabled && item.previousOperatorId != null) {
    const id = item.previousOperatorId;
    const why = v.isMember(id) ? v.status(id) : 'not_in_queue';
    if (why === null) {
      return assign(v, item, id, now, {
        rule: 'sticky',
        operatorId: id,
        skipped: noneSkipped(),
        ...extra,
        ...coverOf(item, id),
      });
    }
    extra.sticky = { operatorId: id, passedOver: why };
  }
  if (rules.mode === 'all') {
    return {
      action: 'portal_queue',
      itemId: item.id,
      reason: { rule: 'portal_queue', skipped: noneSkipped(), ...extra },
    };
  }
  const skipped = v.skipped();
  const winner = v.pick(rules.mode, null);
  if (winner === null) {
    // Some at their quota (issue 18): it goes out when the quota resets, and the reason says so.
    const detail =
      v.memberCount() === 0
        ? 'empty_queue'
        : skipped.over_quota?.length
          ? 'quota_reached'
          : 'nobody_eligible';
    return { action: 'wait', itemId: item.id, reason: { rule: 'wait', skipped, ...extra, detail } };
  }
  const d = assign(v, item, winner, now, { rule: rules.mode, operatorId: winner, skipped, ...extra });
  if (rules.mode === 'weighted' && v.credits && d.action === 'assign') d.credits = v.credits(winner, null);
  return d;
}

export function passOnWith(v: QueueView, rules: QueueRules, req: PassOnRequest, now: number): Decision {
  const { item, holderId } = req;
  if (rules.mode === 'all') {
    return {
      action: 'portal_queue',
      itemId: item.id,
      reason: { rule: 'portal_queue', skipped: noneSkipped() },
    };
  }
  const round = new Set(req.round ?? EMPTY_SET);
  round.add(holderId);
  const mode = rules.mode;
  const choose = (exclude: ReadonlySet<number>) =>
    mode === 'strictly' ? v.pickAfter(holderId, exclude) : v.pick(mode, exclude);
  let newRound = false;
  let exclude: ReadonlySet<number> = round;
  let winner = choose(exclude);
  if (winner === null) {
    // Everyone eligible had it this round: a new round starts, still not back to the holder.
    newRound = true;
    exclude = new Set([holderId]);
    winner = choose(exclude);
  }
  const skipped = v.skipped();
  const others = new Set(round);
  others.delete(holderId);
  if (!newRound && others.size > 0) skipped.already_had = v.eligibleInQueueOrder(others);
  const passOn = { fromId: holderId, by: mode, newRound };
  if (winner === null) {
    return {
      action: 'stay',
      itemId: item.id,
      operatorId: holderId,
      reason: { rule: 'stay', operatorId: holderId, skipped, passOn, detail: 'nobody_else_eligible' },
    };
  }
  const d = assign(v, item, winner, now, { rule: 'pass_on', operatorId: winner, skipped, passOn });
  if (d.action === 'assign') {
    d.round = newRound ? [holderId, winner] : [...round, winner];
    if (mode === 'weighted' && v.credits) d.credits = v.credits(winner, exclude);
  }
  return d;
}
