import type { LogRow } from '../../db/repositories/assignment-log.ts';
import { explain, type Reason } from '../../engine/index.ts';

type Lang = 'ru' | 'en';
type NameOf = (id: number) => string;

/**
 * The assignment log's reasons in words: a reason's own words when it carries them (`text_en` /
 * `text_ru`: the close-idle job's, a first-touch breach's); the lead part's and the open-lines
 * part's own reasons (a lead left alone, a dialog the portal's people took) worded here; the
 * engine's decisions through explain(). Nothing reaches the page as JSON or as a code: an
 * unknown reason reads as "no reason recorded".
 */
export function reasonText(row: Pick<LogRow, 'reason'>, lang: Lang, nameOf: NameOf): string {
  const raw: unknown = row.reason;
  const en = lang === 'en';
  if (!raw || typeof raw !== 'object') {
    return typeof raw === 'string' && raw
      ? raw.slice(0, 300)
      : en
        ? 'No reason recorded.'
        : 'Причина не записана.';
  }
  const r = raw as Partial<Reason> & Record<string, unknown>;
  // A reason that carries its own words (the close-idle job's, a first-touch breach's) says it best.
  const text = r[`text_${lang}`] ?? r.text;
  if (typeof text === 'string' && text) return text.slice(0, 500);
  const own = ownReason(r, lang, nameOf);
  if (own) return own;
  if (typeof r.rule === 'string' && r.skipped && typeof r.skipped === 'object') {
    try {
      const skipped = { ...(r.skipped as object) } as Reason['skipped'];
      skipped.at_capacity ??= [];
      skipped.unavailable ??= [];
      return explain({ ...r, skipped } as Reason, lang, nameOf);
    } catch {
      // worded below
    }
  }
  return en ? 'No reason recorded.' : 'Причина не записана.';
}

const SKIP: Record<string, Record<Lang, (holder: string, dialogOp: string) => string>> = {
  from_assigned_dialog: {
    en: (h, d) =>
      `Left alone: the lead came from a dialog the app already gave to ${d || h}, who keeps the lead too.`,
    ru: (h, d) =>
      `Не тронут: лид создан из диалога, который приложение уже передало (${d || h}); лид остаётся у него.`,
  },
  responsible_chosen: {
    en: (h) => `Left alone: a person already chose the responsible (${h}).`,
    ru: (h) => `Не тронут: ответственного уже выбрал человек (${h}).`,
  },
  changed_before_write: {
    en: (h) => `Left alone: someone gave the lead to ${h} before the app's change reached the portal.`,
    ru: (h) =>
      `Не тронут: лид передали другому сотруднику (${h}) раньше, чем изменение приложения дошло до портала.`,
  },
  write_refused: {
    en: (h) => `Left with ${h}: the portal refused to change the responsible.`,
    ru: (h) => `Остался у прежнего ответственного (${h}): портал отказал в смене ответственного.`,
  },
};

function ownReason(r: Record<string, unknown>, lang: Lang, nameOf: NameOf): string | undefined {
  const en = lang === 'en';
  const who = (v: unknown) => (Number.isInteger(v) && (v as number) > 0 ? nameOf(v as number) : '');
  if (r.rule === 'skip') {
    const f = SKIP[String(r.detail)];
    const holder = who(r.operatorId) || (en ? 'its current responsible' : 'текущий ответственный');
    if (f) return f[lang](holder, who(r.dialogOperatorId));
    return en ? `Left alone (${holder}).` : `Не тронут (${holder}).`;
  }
  if (r.rule === 'no_operator_answer' || r.rule === 'no_client_reply') {
    const days = Number(r.thresholdDays);
    const n = Number.isFinite(days) ? days : '?';
    if (r.rule === 'no_operator_answer')
      return en
        ? `Closed as idle: no operator answered for ${n} days.`
        : `Закрыт как неактивный: операторы не отвечали ${n} дн.`;
    return en
      ? `Closed as idle: the operator answered and the client has not replied for ${n} days.`
      : `Закрыт как неактивный: оператор ответил, клиент молчит ${n} дн.`;
  }
  if (r.rule === 'portal_queue' && r.detail === 'taken_by_portal') {
    return en
      ? 'Taken at the portal: a person there gave the dialog to an operator before the app did.'
      : 'Взят на портале: диалог передал оператору человек на портале раньше приложения.';
  }
  if (r.rule === 'portal_queue' && r.detail === 'unknown_line') {
    return en
      ? "Handed to the line's own queue: the app does not know this line's settings yet."
      : 'Передано в очередь открытой линии: настройки этой линии приложению ещё не известны.';
  }
  return undefined;
}
