import { z } from 'zod';
import { queueRulesSchema } from '../engine/index.ts';
import { quotaSchema } from './speed.ts';

/**
 * Deal distribution (issue 19): the same queue rules as leads, routed per pipeline (CATEGORY_ID)
 * and source. Validated here like every other scope; the API names a failed check by its key
 * (DEAL_MESSAGES), and the page says it in the viewer's language (DEAL_MESSAGES_I18N).
 */

export const DEAL_MESSAGES = {
  err_route_name_twice: 'two routes have the same name',
  err_deal_overflow_route_unknown: 'overflow queue must name one of the deal routes',
} as const;

export const DEAL_MESSAGES_I18N: Record<keyof typeof DEAL_MESSAGES, { en: string; ru: string }> = {
  err_route_name_twice: {
    en: DEAL_MESSAGES.err_route_name_twice,
    ru: 'у двух маршрутов одно и то же имя',
  },
  err_deal_overflow_route_unknown: {
    en: DEAL_MESSAGES.err_deal_overflow_route_unknown,
    ru: 'очередь для переполнения должна быть одним из маршрутов сделок',
  },
};

/** One deal-routing rule: deals matching it go to its queue. */
export const dealRouteSchema = z.object({
  name: z.string().min(1).max(100),
  /** pipelines (CATEGORY_ID, 0 = the general one); empty = any */
  categoryIds: z.array(z.number().int().min(0)).default([]),
  /** SOURCE_ID values (e.g. WEB, CALL); empty = any */
  sources: z.array(z.string().min(1)).default([]),
  rules: queueRulesSchema.prefault({}),
  /** a deal converted from a lead goes to the lead's person; null = the deals' default below */
  keepLeadOwner: z.boolean().nullable().default(null),
});

/** Scope `deals`. Off until an administrator turns it on: deals were the portal's robots' business. */
export const dealSettingsSchema = z
  .object({
    enabled: z.boolean().default(false),
    /** the default queue for deals no route matches */
    rules: queueRulesSchema.prefault({}),
    routes: z.array(dealRouteSchema).max(50).default([]),
    /** leave alone deals whose responsible a person already set (not the portal's default: the creator) */
    skipIfResponsibleChosen: z.boolean().default(true),
    /**
     * a deal converted from a lead keeps the lead's responsible (when they can take it: the
     * queue's availability check and limit apply, and an absence hands it to the deputy)
     */
    keepLeadOwner: z.boolean().default(true),
    /**
     * per-operator caps per day or shift, the leads' schema (speed.ts) with its own caps and
     * overflow: a deal cap counts deals (apart from leads); overflow to a queue names a deal route
     */
    quota: quotaSchema,
  })
  .refine((s) => new Set(s.routes.map((r) => r.name)).size === s.routes.length, {
    message: DEAL_MESSAGES.err_route_name_twice,
    path: ['routes'],
  })
  .refine((s) => s.quota.overflow.to !== 'route' || s.routes.some((r) => r.name === s.quota.overflow.route), {
    message: DEAL_MESSAGES.err_deal_overflow_route_unknown,
    path: ['quota', 'overflow', 'route'],
  });

export type DealRoute = z.output<typeof dealRouteSchema>;
export type DealSettings = z.output<typeof dealSettingsSchema>;
