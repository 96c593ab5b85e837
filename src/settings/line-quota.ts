import { quotaSchema } from './speed.ts';

/**
 * A line's quota (issue 18 item 2, dialogs): the leads' quota schema (speed.ts), counted per
 * line. Past everyone's cap a dialog waits (placed when the period resets) or goes to a person;
 * it cannot overflow to another line's queue: a chat belongs to its line (its client writes to
 * that line, and a move to another line is a transfer a person decides on, not distribution).
 */
export const LINE_QUOTA_MESSAGES = {
  err_line_overflow_route: 'a dialog cannot overflow to another queue: wait or a person',
} as const;

export const LINE_QUOTA_MESSAGES_I18N: Record<keyof typeof LINE_QUOTA_MESSAGES, { en: string; ru: string }> =
  {
    err_line_overflow_route: {
      en: LINE_QUOTA_MESSAGES.err_line_overflow_route,
      ru: 'диалог нельзя передать в другую очередь: он ждёт или передаётся сотруднику',
    },
  };

export const lineQuotaSchema = quotaSchema.refine((q) => q.overflow.to !== 'route', {
  message: LINE_QUOTA_MESSAGES.err_line_overflow_route,
  path: ['overflow', 'to'],
});
