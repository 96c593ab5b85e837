import { z } from 'zod';

/**
 * Queue rules as the settings page, the API and the engine see them. The schema fills every
 * default, so `queueRulesSchema.parse({})` is a complete, valid rule set (`defaultRules()`).
 */

export const MODES = ['evenly', 'strictly', 'all', 'least_loaded', 'weighted'] as const;
/** What counts toward the capacity limit; the portal's TYPE_MAX_CHAT in our words. */
export const LOAD_COUNTINGS = [
  'all_open',
  'not_yet_answered',
  'excluding_waiting_client',
  'answered_only',
] as const;
export const CRM_ENTITIES = ['contact', 'company', 'lead'] as const;
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

/** Upper bound of one operator's limit: the portal itself refuses more than 1000 open chats. */
export const MAX_LIMIT = 1000;
export const MAX_WEIGHT = 100;

/**
 * The schemas' own words for the checks zod has no code for, under the keys the settings page
 * translates them by (views/i18n.json); the API sends the key beside the English text.
 */
export const SCHEMA_MESSAGES = {
  err_time_of_day: 'must be HH:MM (00:00–24:00)',
  err_time_zone: 'must be an IANA time zone, e.g. Europe/Moscow',
  err_empty_interval: 'an interval must not start and end at the same time',
  err_operator_twice: 'an operator appears twice in the queue',
  err_entity_twice: 'an entity appears twice',
  err_user_id: 'must be a user id',
  err_limit_empty: 'enter a number, or choose "no limit"',
  err_open_statuses_empty: 'name at least one status that counts as open',
} as const;
const M = SCHEMA_MESSAGES;

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, M.err_time_of_day);

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** An operator's own working hours. An interval whose end is earlier than its start runs past midnight. */
export const workScheduleSchema = z.object({
  timeZone: z.string().refine(isTimeZone, M.err_time_zone),
  days: z.partialRecord(
    z.enum(WEEKDAYS),
    z.array(z.tuple([timeOfDay, timeOfDay]).refine(([from, to]) => from !== to, M.err_empty_interval)),
  ),
});

export const queueMemberSchema = z.object({
  id: z.number().int().positive(),
  /** Overrides the queue's limit for this operator; null or absent = the queue's limit. 0 = never auto-assigned. */
  limit: z.number().int().min(0).max(MAX_LIMIT).nullable().optional(),
  /** Share in the weighted mode (integer, so the index can group operators by weight). */
  weight: z.number().int().min(1).max(MAX_WEIGHT).default(1),
  /** false keeps the operator in the queue (e.g. a supervisor) without auto-assigning to them. */
  autoAssign: z.boolean().default(true),
});

export const queueRulesSchema = z.object({
  mode: z.enum(MODES).default('evenly'),
  /** Members in queue order (the order matters for strictly and for every tie-break). */
  queue: z
    .array(queueMemberSchema)
    .default([])
    .refine((q) => new Set(q.map((m) => m.id)).size === q.length, M.err_operator_twice),
  /** QUEUE_TIME: seconds before an unanswered item passes to the next operator; null = never. */
  passOnAfterSec: z.number().int().min(1).nullable().default(60),
  capacity: z
    .object({
      /**
       * Open items per operator; null = unlimited (the portal's MAX_CHAT = 0). Anything but a
       * number or null (a cleared field arrives as '') is refused, never taken as "no limit".
       */
      limit: z.number({ error: M.err_limit_empty }).int().min(0).max(MAX_LIMIT).nullable().default(null),
      counts: z.enum(LOAD_COUNTINGS).default('all_open'),
    })
    .prefault({}),
  availability: z
    .object({
      /** CHECK_AVAILABLE. Off: only dismissed and excluded operators are skipped. */
      check: z.boolean().default(true),
      requireOnline: z.boolean().default(true),
      /** Honour the time-tracking workday of operators whose portal reports one. */
      useTimeTracking: z.boolean().default(true),
      /** Honour operators' own working-hours schedules. */
      useSchedules: z.boolean().default(true),
    })
    .prefault({}),
  responsible: z
    .object({
      /** CRM_FORWARD: a client known in CRM goes to their responsible person. */
      enabled: z.boolean().default(false),
      /** Which CRM link's responsible wins when the item has several. */
      precedence: z
        .array(z.enum(CRM_ENTITIES))
        .min(1)
        .default(['contact', 'company', 'lead'])
        .refine((p) => new Set(p).size === p.length, M.err_entity_twice),
    })
    .prefault({}),
  sticky: z.object({ enabled: z.boolean().default(false) }).prefault({}),
});

export type Mode = (typeof MODES)[number];
export type LoadCounting = (typeof LOAD_COUNTINGS)[number];
export type CrmEntity = (typeof CRM_ENTITIES)[number];
export type Weekday = (typeof WEEKDAYS)[number];
export type WorkSchedule = z.output<typeof workScheduleSchema>;
export type QueueMember = z.output<typeof queueMemberSchema>;
export type QueueMemberInput = z.input<typeof queueMemberSchema>;
export type QueueRules = z.output<typeof queueRulesSchema>;
export type QueueRulesInput = z.input<typeof queueRulesSchema>;

/** A complete rule set with every default: evenly, no limit, availability checked, no CRM routing. */
export function defaultRules(): QueueRules {
  return queueRulesSchema.parse({});
}
