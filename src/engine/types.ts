import type { CrmEntity, Mode, WorkSchedule } from './schema.ts';

/** Time-tracking workday status as `timeman.status` reports it. */
export type WorkdayStatus = 'OPENED' | 'PAUSED' | 'CLOSED' | 'EXPIRED';

/**
 * Why an operator cannot take an item right now. `excluded` = member with auto-assignment off;
 * `unknown` = the engine was given no state for that operator; `paused` = a break in time
 * tracking; `manual_pause` = the app's own pause toggle; `workday_closed` = CLOSED or EXPIRED.
 */
export type UnavailableWhy =
  | 'excluded'
  | 'unknown'
  | 'dismissed'
  | 'absent'
  | 'manual_pause'
  | 'offline'
  | 'paused'
  | 'workday_closed'
  | 'outside_hours';

/** Why an operator is not eligible: not available, at their limit, or at their quota (issue 18). */
export type IneligibleWhy = UnavailableWhy | 'at_capacity' | 'over_quota';

/**
 * An operator's open items in this queue, by who wrote last. A lead handler that tracks no
 * messages puts every open lead in `notAnswered`.
 */
export interface OpenLoad {
  /** The operator has not written in the item yet (new, or accepted but unanswered). */
  notAnswered: number;
  /** The operator has answered before and the client wrote last. */
  clientLast: number;
  /** The operator wrote last and waits for the client. */
  operatorLast: number;
}

/**
 * One operator as seen by one queue. Load, lastAssignedAt and credit are per queue: an operator
 * in two lines has two states. Times are unix milliseconds.
 */
export interface OperatorState {
  id: number;
  /** `user.get` ACTIVE; false = dismissed. */
  active: boolean;
  /** `user.get` IS_ONLINE = Y. */
  online: boolean;
  /** `timeman.status`; null/absent when the portal or user does not use time tracking. */
  workday?: WorkdayStatus | null;
  /** im `absent`: end of the current absence; null/absent = not absent. */
  absentUntil?: number | null;
  /**
   * Absences known ahead (entered in the app, or the portal's as the app saw them): absent
   * from `from` (inclusive) to `to` (exclusive), unix ms. An ended one says when they came back.
   */
  absences?: readonly AbsencePeriod[];
  /**
   * Least-loaded only: added to the counted load when ranking (never toward the limit). Given to
   * someone just back from an absence (`returnOffsets`): their empty desk ranks as full as the
   * least loaded colleague's, so they take their turn with everyone instead of drawing every
   * new item until they have caught up.
   */
  loadOffset?: number;
  /** The app's manual pause, until further notice. */
  paused?: boolean;
  /** The app's manual pause with an end. */
  pausedUntil?: number | null;
  schedule?: WorkSchedule | null;
  load?: Partial<OpenLoad>;
  /**
   * Items this queue may still give them this quota period (issue 18: a hard cap the caller
   * counts); 0 = at their quota (`over_quota`); null/absent = no quota. A commit takes one off.
   */
  quotaLeft?: number | null;
  /** When this queue last assigned an item to the operator (the `stamp` of that decision). */
  lastAssignedAt?: number | null;
  /** Weighted mode's running credit (smooth weighted round robin); absent = 0. */
  credit?: number;
}

export interface AbsencePeriod {
  from: number;
  to: number;
}

export interface CrmLink {
  entity: CrmEntity;
  /** ASSIGNED_BY_ID of the linked contact, company or lead. */
  responsibleId: number;
}

/** A new dialog or lead to place. */
export interface Item {
  id: string | number;
  kind: 'dialog' | 'lead';
  /** Arrival time; orders the waiting queue. */
  arrivedAt?: number;
  /** Higher goes first in the waiting queue; absent = 0. */
  priority?: number;
  crm?: readonly CrmLink[];
  /** The operator of the client's last dialog (for the sticky rule). */
  previousOperatorId?: number | null;
  /**
   * Deputies the caller put in an absent responsible's or previous operator's place, by
   * deputy: whom they stand in for. An assignment to one of them by those rules says so.
   */
  covers?: Readonly<Record<number, { absentId: number; until: number | null }>>;
  /** The caller's lasting name of the item (a dialog's session), for its own bookkeeping; unused here. */
  ref?: string;
}

/** An item handed out before, to pass on after the line's timeout. */
export interface PassOnRequest {
  item: Item;
  holderId: number;
  /** Everyone who already had the item in this round (the holder is added if missing). */
  round?: readonly number[];
}

/** An open dialog of an operator who became unavailable. */
export interface AssignedDialog {
  id: string | number;
  operatorId: number;
  /** The operator took it into work (accepted or answered). */
  accepted: boolean;
  /** The operator has written at least once in it. */
  operatorAnswered: boolean;
  lastMessageFrom: 'client' | 'operator' | null;
}

export type ReasonRule =
  | 'responsible_manager'
  | 'sticky'
  | 'evenly'
  | 'strictly'
  | 'least_loaded'
  | 'weighted'
  | 'portal_queue'
  | 'wait'
  | 'pass_on'
  | 'stay'
  | 'redistribute'
  /** everyone in the queue reached their quota: the settings' overflow person got it */
  | 'quota_overflow'
  /** an absent person's item handed to their deputy */
  | 'handover';

export interface Skipped {
  at_capacity: number[];
  unavailable: { id: number; why: UnavailableWhy }[];
  /** Pass-on: eligible operators passed over because they already had the item this round. */
  already_had?: number[];
  /** Ineligible members left out of the two lists above (they are capped, in queue order). */
  omitted?: number;
  /** Members who reached their quota for the day or shift (issue 18), in queue order. */
  over_quota?: number[];
}

/** The seed's cases for a dialog whose operator became unavailable, plus departure. */
export type DialogCase = 'not_accepted' | 'waiting_client' | 'client_unanswered' | 'accepted' | 'departed';

/** Machine-readable why of a decision; `explain()` renders it for people. */
export interface Reason {
  rule: ReasonRule;
  operatorId?: number;
  skipped: Skipped;
  /** The client's CRM responsible: passed over (and why), or assigned despite being unavailable. */
  responsible?: {
    operatorId: number;
    entity: CrmEntity;
    passedOver?: IneligibleWhy;
    assignedDespite?: UnavailableWhy;
  };
  /** The client's previous operator under the sticky rule, when passed over. */
  sticky?: { operatorId: number; passedOver: IneligibleWhy | 'not_in_queue' };
  passOn?: { fromId: number; by: Mode; newRound: boolean };
  /**
   * The operator stands in for an absent colleague: the item would have been theirs (the
   * client's responsible, their previous operator, their open item at the absence's start).
   */
  cover?: { absentId: number; until: number | null };
  dialog?: DialogCase;
  /** A short code for what the fields above do not say, e.g. `empty_queue`, `nobody_else_eligible`. */
  detail?: string;
}

export type Decision =
  | {
      action: 'assign';
      itemId: Item['id'];
      operatorId: number;
      /** Persist as the operator's lastAssignedAt: unique and increasing within a queue. */
      stamp: number;
      reason: Reason;
      /** Weighted mode, pure functions only: every member's new credit, to persist. */
      credits?: Record<number, number>;
      /** Pass-on: the round to persist with the item. */
      round?: number[];
    }
  | { action: 'wait'; itemId: Item['id']; reason: Reason }
  | { action: 'portal_queue'; itemId: Item['id']; reason: Reason }
  | { action: 'stay'; itemId: Item['id']; operatorId: number; reason: Reason };

export interface UnavailableOutcome {
  dialogId: AssignedDialog['id'];
  action: 'stay' | 'redistribute';
  reason: Reason;
}
