import { z } from 'zod';
import { queueRulesSchema, SCHEMA_MESSAGES, workScheduleSchema } from '../engine/index.ts';
import { checkOperatorAbsences, operatorAbsenceFields } from './absences.ts';
import { lineQuotaSchema } from './line-quota.ts';
import { firstMessageSchema, firstTouchSchema, quotaSchema, SPEED_MESSAGES } from './speed.ts';

/**
 * What the app stores per portal, validated by these schemas everywhere: the settings page,
 * the API and the store. Every schema fills its defaults, so `parse({})` is the default.
 */

/** Idle closing thresholds (close-idle job). */
export const idleSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** close when no operator has answered for this many days */
    noOperatorAnswerDays: z.number().int().min(1).max(365).default(30),
    /** close an accepted dialog when the operator wrote last and the client has been silent this long */
    noClientReplyDays: z.number().int().min(1).max(365).default(7),
  })
  .prefault({});

/** Scope `line:<id>`: one open line. */
export const lineSettingsSchema = z.object({
  /** true: the line's own queue settings (imopenlines.config.get) decide; false: `rules` below */
  useLineSettings: z.boolean().default(true),
  /** the app's rules for the line, used when useLineSettings is false */
  rules: queueRulesSchema.prefault({}),
  idle: idleSchema,
  /** the operator's first answer within this many seconds, else pass-on (speed.ts) */
  firstMessage: firstMessageSchema,
  /** per-operator caps of this line's dialogs per day or shift; overflow: wait or a person (line-quota.ts) */
  quota: lineQuotaSchema,
});

/** One lead-routing rule: leads matching it go to its queue. */
export const leadRouteSchema = z.object({
  name: z.string().min(1).max(100),
  /** SOURCE_ID values (e.g. WEB, CALL, EMAIL); empty = any */
  sources: z.array(z.string().min(1)).default([]),
  /** open lines the lead came from (its dialog's line); empty = any */
  lineIds: z.array(z.number().int().positive()).default([]),
  rules: queueRulesSchema.prefault({}),
  /** this route's first-touch deadline; null = the leads' default (speed.ts) */
  firstTouch: firstTouchSchema.unwrap().nullable().default(null),
});

/** Scope `leads`. */
export const leadSettingsSchema = z
  .object({
    enabled: z.boolean().default(true),
    /** the default queue for leads no route matches */
    rules: queueRulesSchema.prefault({}),
    routes: z.array(leadRouteSchema).max(50).default([]),
    /** leave alone leads whose responsible a person already set (not the portal's default: the creator) */
    skipIfResponsibleChosen: z.boolean().default(true),
    /** leave alone leads created from a dialog the app already assigned (the dialog's operator keeps them) */
    skipIfFromAssignedDialog: z.boolean().default(true),
    /**
     * lead statuses that count as open toward an operator's limit; an empty list (a cleared
     * field) is refused: it would silently count nothing and lift every limit
     */
    openStatuses: z
      .array(z.string().min(1))
      .min(1, SCHEMA_MESSAGES.err_open_statuses_empty)
      .default(['NEW', 'IN_PROCESS', 'PROCESSED']),
    /** the first-touch deadline of leads no route overrides (speed.ts) */
    firstTouch: firstTouchSchema,
    /** per-operator caps per day or shift (speed.ts) */
    quota: quotaSchema,
  })
  .refine((s) => s.quota.overflow.to !== 'route' || s.routes.some((r) => r.name === s.quota.overflow.route), {
    message: SPEED_MESSAGES.err_overflow_route_unknown,
    path: ['quota', 'overflow', 'route'],
  });

/** Scope `operators`: per-operator settings that hold across lines and leads. */
export const operatorSettingsSchema = z.object({
  schedule: workScheduleSchema.nullable().default(null),
  /** the app's manual pause */
  paused: z.boolean().default(false),
  /** end of a timed pause (unix ms); null = until switched off */
  pausedUntil: z.number().int().nullable().default(null),
  /** their deputy and the absences entered in the app (absences.ts) */
  ...operatorAbsenceFields,
});
export const operatorsSettingsSchema = z
  .record(z.string().regex(/^\d+$/, SCHEMA_MESSAGES.err_user_id), operatorSettingsSchema)
  .superRefine(checkOperatorAbsences);

/** Scope `portal`. */
export const portalSettingsSchema = z.object({
  /** the portal's REST limits: 2 req/s burst 50, or 5/250 on Enterprise plans */
  ratePlan: z.enum(['standard', 'enterprise']).default('standard'),
});

export type IdleSettings = z.output<typeof idleSchema>;
export type LineSettings = z.output<typeof lineSettingsSchema>;
export type LeadRoute = z.output<typeof leadRouteSchema>;
export type LeadSettings = z.output<typeof leadSettingsSchema>;
export type OperatorSettings = z.output<typeof operatorSettingsSchema>;
export type OperatorsSettings = z.output<typeof operatorsSettingsSchema>;
export type PortalSettings = z.output<typeof portalSettingsSchema>;

export const SETTINGS_SCOPES = {
  line: (lineId: number | string) => `line:${lineId}`,
  leads: 'leads',
  deals: 'deals',
  owner: 'owner',
  handover: 'handover',
  operators: 'operators',
  portal: 'portal',
} as const;
