import { z } from 'zod';
import { SCHEMA_MESSAGES, workScheduleSchema } from '../engine/index.ts';

/**
 * Speed-to-lead settings (issue 18): the first-touch deadline of a lead route (or of every
 * lead), the first-message deadline of a chat line, and daily/shift quotas per operator.
 * Validated here like every other scope; the page shows the messages by their keys.
 */

/** The schemas' own words under the keys the page translates them by (RU/EN below). */
export const SPEED_MESSAGES = {
  err_overflow_person_required: 'overflow to a person needs the person (overflow.userId)',
  err_overflow_route_required: 'overflow to a queue needs the route name (overflow.route)',
  err_overflow_route_unknown: 'overflow queue must name one of the lead routes',
} as const;

/** The same messages for people, in both languages (the page and the API's `messages`). */
export const SPEED_MESSAGES_I18N: Record<keyof typeof SPEED_MESSAGES, { en: string; ru: string }> = {
  err_overflow_person_required: {
    en: SPEED_MESSAGES.err_overflow_person_required,
    ru: 'для передачи сотруднику нужно указать сотрудника (overflow.userId)',
  },
  err_overflow_route_required: {
    en: SPEED_MESSAGES.err_overflow_route_required,
    ru: 'для передачи в очередь нужно имя маршрута (overflow.route)',
  },
  err_overflow_route_unknown: {
    en: SPEED_MESSAGES.err_overflow_route_unknown,
    ru: 'очередь для переполнения должна быть одним из маршрутов лидов',
  },
};

/** Longest first-touch deadline: a week of working minutes. */
export const MAX_FIRST_TOUCH_MINUTES = 7 * 24 * 60;

/**
 * A lead's first-touch deadline. The assignee must make first contact (an activity they
 * author: call, e-mail, message, meeting; or a stage change) within `minutes` working minutes.
 */
export const firstTouchSchema = z
  .object({
    enabled: z.boolean().default(false),
    minutes: z.number().int().min(1).max(MAX_FIRST_TOUCH_MINUTES).default(15),
    /** reassign: to the next eligible person by the queue's rules; notify: keep it, tell the assignee */
    onBreach: z.enum(['reassign', 'notify']).default('reassign'),
    /** the minutes count only inside these hours (time zone aware); null = around the clock */
    workingHours: workScheduleSchema.nullable().default(null),
    /** on this breach (and not before) the supervisor is told too, and the lead is no longer watched */
    escalateAfterBreaches: z.number().int().min(1).max(10).default(2),
    supervisorId: z.number().int().positive().nullable().default(null),
    /** a stage (status) change of the lead counts as first contact */
    stageChangeCounts: z.boolean().default(true),
  })
  .prefault({});

const userKey = z.string().regex(/^\d+$/, SCHEMA_MESSAGES.err_user_id);
const quotaCount = z.number().int().min(0).max(10_000);

/**
 * Quotas: at most N leads per operator per day (the portal's midnight) or per shift (the start
 * of the operator's current working interval, from their schedule; without one, the day). A
 * quota is a hard cap; the queue's mode (weighted shares included) decides within it.
 */
export const quotaSchema = z
  .object({
    enabled: z.boolean().default(false),
    period: z.enum(['day', 'shift']).default('day'),
    /** every operator's cap; null = no cap unless `operators` names one */
    perOperator: quotaCount.nullable().default(null),
    /** per-operator caps, by user id, over `perOperator` */
    operators: z.record(userKey, quotaCount).default({}),
    /** the zone of "midnight"; null = the portal's own (user.get TIME_ZONE / server.time) */
    timeZone: workScheduleSchema.shape.timeZone.nullable().default(null),
    /** past everyone's cap: wait (the waiting queue), a person, or another lead route's queue */
    overflow: z
      .object({
        to: z.enum(['wait', 'person', 'route']).default('wait'),
        userId: z.number().int().positive().nullable().default(null),
        route: z.string().min(1).max(100).nullable().default(null),
      })
      .prefault({})
      .refine((o) => o.to !== 'person' || o.userId !== null, {
        message: SPEED_MESSAGES.err_overflow_person_required,
        path: ['userId'],
      })
      .refine((o) => o.to !== 'route' || o.route !== null, {
        message: SPEED_MESSAGES.err_overflow_route_required,
        path: ['route'],
      }),
  })
  .prefault({});

/**
 * A line's first-message deadline: the operator's first answer within `seconds` (today's
 * pass-on). Switched on, the seconds count only inside `workingHours`, and a miss is a breach:
 * passed on (reassign) or kept with the operator, who is told (notify); the supervisor is told
 * on the N-th miss (openlines/first-message.ts).
 */
export const firstMessageSchema = z
  .object({
    /** the deadline with breaches, notices and escalation; off = the plain pass-on timeout */
    enabled: z.boolean().default(false),
    /** null = the line's own timeout (QUEUE_TIME, or the app's rules.passOnAfterSec) */
    seconds: z.number().int().min(5).max(86_400).nullable().default(null),
    /** reassign: pass it on to the next eligible operator; notify: it stays, the operator is told */
    onBreach: z.enum(['reassign', 'notify']).default('reassign'),
    /** the seconds count only inside these hours (time zone aware); null = around the clock */
    workingHours: workScheduleSchema.nullable().default(null),
    /** on this miss (and only this one) the supervisor is told too */
    escalateAfterBreaches: z.number().int().min(1).max(10).default(2),
    supervisorId: z.number().int().positive().nullable().default(null),
  })
  .prefault({});

export type FirstTouchSettings = z.output<typeof firstTouchSchema>;
export type QuotaSettings = z.output<typeof quotaSchema>;
export type FirstMessageSettings = z.output<typeof firstMessageSchema>;
