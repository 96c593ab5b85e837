import { z } from 'zod';

/**
 * Absences and their handover (issue 19): who covers for whom (a deputy per person), absences
 * entered in the app (from, to, deputy), and per line or route whether an absent person's
 * items go to the deputy or back to distribution. Validated here like every other scope; the
 * API names a failed check by its key (ABSENCE_MESSAGES), the page says it in RU or EN.
 */

export const ABSENCE_MESSAGES = {
  err_absence_ends_before_start: 'an absence must end after it starts',
  err_deputy_is_self: 'a person cannot be their own deputy',
  err_absences_overlap: 'two absences of one person overlap',
} as const;

export const ABSENCE_MESSAGES_I18N: Record<keyof typeof ABSENCE_MESSAGES, { en: string; ru: string }> = {
  err_absence_ends_before_start: {
    en: ABSENCE_MESSAGES.err_absence_ends_before_start,
    ru: 'отсутствие должно заканчиваться позже, чем начинается',
  },
  err_deputy_is_self: {
    en: ABSENCE_MESSAGES.err_deputy_is_self,
    ru: 'сотрудник не может замещать сам себя',
  },
  err_absences_overlap: {
    en: ABSENCE_MESSAGES.err_absences_overlap,
    ru: 'два отсутствия одного сотрудника пересекаются',
  },
};

/** One absence entered in the app: unix ms, `to` exclusive. */
export const absenceEntrySchema = z
  .object({
    from: z.number().int().positive(),
    to: z.number().int().positive(),
    /** who covers this time; null = their usual deputy (operators' `deputyId`), else distribution */
    deputyId: z.number().int().positive().nullable().default(null),
    note: z.string().max(200).default(''),
  })
  .refine((a) => a.to > a.from, { message: ABSENCE_MESSAGES.err_absence_ends_before_start, path: ['to'] });

/** The fields of one operator's settings (settings/schema.ts, scope `operators`) about absences. */
export const operatorAbsenceFields = {
  /** covers for them while they are away (the portal's absences and the app's) */
  deputyId: z.number().int().positive().nullable().default(null),
  /** absences entered in the app */
  absences: z.array(absenceEntrySchema).max(50).default([]),
};

/** The checks across one operator's fields: no deputy of themselves, no overlapping absences. */
export function checkOperatorAbsences(
  all: Record<
    string,
    { deputyId: number | null; absences: { from: number; to: number; deputyId: number | null }[] }
  >,
  ctx: z.RefinementCtx,
): void {
  for (const [key, s] of Object.entries(all)) {
    const self = Number(key);
    if (s.deputyId === self) {
      ctx.addIssue({ code: 'custom', message: ABSENCE_MESSAGES.err_deputy_is_self, path: [key, 'deputyId'] });
    }
    const sorted = s.absences.map((a, i) => ({ ...a, i })).sort((a, b) => a.from - b.from);
    sorted.forEach((a, n) => {
      if (a.deputyId === self) {
        ctx.addIssue({
          code: 'custom',
          message: ABSENCE_MESSAGES.err_deputy_is_self,
          path: [key, 'absences', a.i, 'deputyId'],
        });
      }
      const next = sorted[n + 1];
      if (next && next.from < a.to) {
        ctx.addIssue({
          code: 'custom',
          message: ABSENCE_MESSAGES.err_absences_overlap,
          path: [key, 'absences', next.i, 'from'],
        });
      }
    });
  }
}

const handoverTo = z.enum(['deputy', 'distribution']);

/**
 * Scope `handover`. Off until turned on. `to`: where an absent person's open items go unless a
 * line or a lead/deal route names its own rule (route keys: the route's name, or `default`).
 */
export const handoverSettingsSchema = z
  .object({
    enabled: z.boolean().default(false),
    to: handoverTo.default('deputy'),
    lines: z.record(z.string().regex(/^\d+$/, 'must be a line id'), handoverTo).default({}),
    leadRoutes: z.record(z.string().min(1), handoverTo).default({}),
    dealRoutes: z.record(z.string().min(1), handoverTo).default({}),
  })
  .prefault({});

export type AbsenceEntry = z.output<typeof absenceEntrySchema>;
export type HandoverSettings = z.output<typeof handoverSettingsSchema>;
export type HandoverTo = z.output<typeof handoverTo>;

/** The rule for one line or route. */
export function handoverRule(
  s: HandoverSettings,
  where: { line: number } | { leads: string | null } | { deals: string | null },
): HandoverTo {
  if ('line' in where) return s.lines[String(where.line)] ?? s.to;
  if ('leads' in where) return s.leadRoutes[where.leads ?? 'default'] ?? s.to;
  return s.dealRoutes[where.deals ?? 'default'] ?? s.to;
}
