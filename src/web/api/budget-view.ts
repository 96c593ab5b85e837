import type { AppContext } from '../../app-context.ts';
import type { BudgetReport } from '../../portal/rest-priority.ts';

/**
 * The dashboard's word on the portal's REST budget (rest-priority.ts): how much each class
 * used, and, when it is so, that background work (sync, jobs) is slowed down to keep the page,
 * transfers and events first, or that the portal itself refused requests for rate.
 */
export function budgetView(ctx: AppContext, memberId: string, lang: 'ru' | 'en') {
  const report: BudgetReport | undefined = ctx.clients.budgets?.peek(memberId)?.report();
  if (!report) return null;
  const ru = lang === 'ru';
  const notes: string[] = [];
  if (report.backgroundSlowed)
    notes.push(
      ru
        ? 'Фоновая работа (синхронизация, задания) замедлена: лимит запросов портала отдан странице, передачам диалогов и событиям.'
        : 'Background work (sync, jobs) slowed down: the portal’s request limit goes to the page, transfers and events first.',
    );
  if (report.portalRefusedAt !== null)
    notes.push(
      ru
        ? 'Портал отказывал в запросах из-за лимита: его лимит расходует кто-то ещё (другое приложение или процесс).'
        : 'The portal refused requests for its rate limit: someone else (another app or process) uses it too.',
    );
  return { ...report, slowed: report.backgroundSlowed, notes };
}
