/**
 * Distribution engine: who gets each new open-line dialog and CRM lead. Pure: no I/O, no
 * clock (every time is unix ms passed in), no globals beyond caches of compiled schedules and
 * Intl formatters. Import only from this file.
 *
 * Inputs are read, never changed. Treat rules and schedules as immutable values: lookups are
 * cached per object (a changed copy is fine; editing one in place is not). The engine does not
 * use `passOnAfterSec` itself; it is the line's QUEUE_TIME for the pass-on job.
 *
 * ## Entry points
 * - `decide(rules, operators, item, now)` — one decision by scanning the queue; fine for
 *   normal queues (tens of operators) and one-off calls.
 * - `Dispatcher` — the index for large queues and batch work: built once, kept current with
 *   `upsertOperator` / `setLoad` / `addMember` / `removeMember` / `commit`, answers in
 *   O(log n). Property tests hold it to the same answers as `decide`.
 * - `passOn`, `onOperatorUnavailable`, `drainWaiting`, `previewNext`, `availabilityOf`,
 *   `rulesFromLine`, `defaultRules`, `queueRulesSchema`, `explain`.
 *
 * ## Order of rules for a new item
 * 1. Responsible manager (rule on, item has CRM links): the responsible of the
 *    highest-precedence link (default contact > company > lead; only that one is tried). If
 *    eligible, they get it, even outside the queue. "Eligible" means available under the
 *    queue's availability setting and under the limit; with the availability check off, only
 *    dismissal and the limit stop them ("the responsible anyway"; the reason then notes what
 *    the check would have said). Otherwise the queue's rule decides and the reason says why
 *    the responsible was passed over.
 * 2. Sticky (off by default): the client's previous operator, if a queue member and eligible.
 * 3. The mode. `all` hands the item to the portal's queue (responsible and sticky still come
 *    first). The others pick among eligible members: evenly = oldest last assignment (never
 *    assigned = oldest), ties by queue order; strictly = first in queue order; least_loaded =
 *    fewest counted open items, then oldest last assignment, then queue order; weighted =
 *    smooth weighted round robin over the eligible members only: nginx's credits (everyone
 *    eligible gains their weight, the winner pays the total), but the winner is the one owed
 *    an item whose share would fall a whole item behind soonest (earliest deadline) rather
 *    than nginx's largest credit, because nginx drifts up to ~1.2 items from the exact share
 *    with six or more operators and this keeps everyone within one item at every point.
 *    Nobody eligible → `wait`.
 *
 * ## Eligibility
 * Always: a member with `autoAssign: false` is `excluded`; an inactive user is `dismissed`;
 * an operator the engine has no state for is `unknown`. Only when `availability.check` is on:
 * absent (im `absent` until a time), manual pause (the app's toggle, optionally timed),
 * offline (if `requireOnline`), time tracking PAUSED → `paused`, CLOSED/EXPIRED →
 * `workday_closed` (only for operators whose portal reports a workday: `workday` null means
 * no time tracking), outside their own working hours (`schedule`, IANA time zone, intervals
 * may cross midnight). The first failing check names the reason. Then capacity, always:
 * counted open items ≥ limit (member override, else the queue's; null = unlimited, 0 = never)
 * → `at_capacity`. Counting follows TYPE_MAX_CHAT as imopenlines-config-add.md words it
 * (line-config.ts): answered → answered_only (only dialogs the operator has responded in);
 * answered_new and closed → all_open.
 *
 * ## State the caller persists (per queue and operator)
 * - `lastAssignedAt` := the decision's `stamp`. Stamps are `max(now, newest stamp + 1)`, so two
 *   decisions in the same millisecond never tie (a tie would hand the next item to the first
 *   in queue order again and again).
 * - `load`: open items by who wrote last (`notAnswered`, `clientLast`, `operatorLast`). A new
 *   assignment adds one to `notAnswered`.
 * - `credit` (weighted only): pure functions return every member's new credit in
 *   `decision.credits`; the Dispatcher keeps credits itself (`credits()` to persist). A member
 *   who sits out a weighted pick (ineligible, or excluded by a pass-on round) drops to zero
 *   credit, so someone back from vacation starts level instead of bursting to catch up.
 *   Responsible and sticky assignments do not move credits.
 *
 * ## Reasons
 * Every decision carries `reason: { rule, operatorId?, skipped, responsible?, sticky?, passOn?,
 * dialog?, detail? }`. `skipped` lists the queue's ineligible members in queue order (at most
 * SKIPPED_LIST_LIMIT by id, the rest counted in `omitted`), so the index can build it in
 * O(listed) rather than O(queue). `explain(reason, 'ru' | 'en', nameOf?)` renders it.
 *
 * ## Pass-on (QUEUE_TIME)
 * strictly walks on from the holder in queue order, wrapping, skipping whoever had the item this
 * round; other modes apply their own rule to everyone eligible outside the round. When everyone
 * eligible had it, a new round starts (still not the holder). Nobody else → `stay`. The
 * decision returns the round to persist. `all` → portal queue.
 *
 * ## Unavailable operator's dialogs (`onOperatorUnavailable`, per dialog)
 * not accepted → redistribute; operator wrote last → stay; client wrote and the operator never
 * answered → redistribute; otherwise accepted → stay. Cause `dismissed` or `left_queue` →
 * redistribute everything.
 *
 * ## Waiting queue
 * `drainWaiting` / `Dispatcher.drain` hand out waiting items in priority (higher first) then
 * arrival order for as long as anyone can take them, each assignment counting toward the next.
 * `Dispatcher.nextChangeAt()` says when the clock alone may make someone eligible (shift start,
 * absence or pause end): drain again then.
 */

export { availabilityOf, countedLoad } from './availability.ts';
export { Dispatcher } from './dispatcher.ts';
export { explain } from './explain.ts';
export { SKIPPED_LIST_LIMIT } from './flow.ts';
export { type LineConfig, rulesFromLine } from './line-config.ts';
export { decide, passOn } from './reference.ts';
export {
  CRM_ENTITIES,
  type CrmEntity,
  defaultRules,
  LOAD_COUNTINGS,
  type LoadCounting,
  MODES,
  type Mode,
  type QueueMember,
  type QueueMemberInput,
  type QueueRules,
  type QueueRulesInput,
  queueMemberSchema,
  queueRulesSchema,
  SCHEMA_MESSAGES,
  WEEKDAYS,
  type Weekday,
  type WorkSchedule,
  workScheduleSchema,
} from './schema.ts';
export type {
  AbsencePeriod,
  AssignedDialog,
  CrmLink,
  Decision,
  DialogCase,
  IneligibleWhy,
  Item,
  OpenLoad,
  OperatorState,
  PassOnRequest,
  Reason,
  ReasonRule,
  Skipped,
  UnavailableOutcome,
  UnavailableWhy,
  WorkdayStatus,
} from './types.ts';
export { onOperatorUnavailable } from './unavailable.ts';
export { compareWaiting } from './waiting-order.ts';
export { type DrainResult, drainWaiting, previewNext } from './waiting.ts';
export {
  type BreachStep,
  breachStep,
  dayStart,
  deadlineAt,
  percentile,
  shiftStart,
  workingMs,
} from './deadlines.ts';
export {
  applyQuota,
  capOf,
  overflowDecision,
  periodStarts,
  type QuotaApplied,
  type QuotaCaps,
  underCap,
} from './quotas.ts';
export { RETURN_GRACE_MS, returnedAt, returnOffsets } from './returns.ts';
