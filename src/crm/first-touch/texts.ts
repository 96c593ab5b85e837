import type { Lang } from '../comment.ts';

/*
 * What people read about a missed first-touch deadline, in the portal's language: the
 * notifications (im.notify.system.add) and the assignment log's words. Every text names the
 * client and how long they have waited. Names stand where Russian needs no declension
 * (after a colon, in parentheses), as the engine's reasons do.
 */

/** "17 min", "2 h 5 min", "1 d 3 h" / "17 мин", "2 ч 5 мин", "1 д 3 ч". */
export function duration(ms: number, lang: Lang): string {
  const min = Math.max(0, Math.round(ms / 60_000));
  const [d, h, m] = [Math.floor(min / 1440), Math.floor((min % 1440) / 60), min % 60];
  const u = lang === 'ru' ? { d: 'д', h: 'ч', m: 'мин' } : { d: 'd', h: 'h', m: 'min' };
  if (d > 0) return h > 0 ? `${d} ${u.d} ${h} ${u.h}` : `${d} ${u.d}`;
  if (h > 0) return m > 0 ? `${h} ${u.h} ${m} ${u.m}` : `${h} ${u.h}`;
  return `${m} ${u.m}`;
}

export interface BreachFacts {
  leadId: number;
  /** the client as the lead names them (name, else the lead's title) */
  client: string;
  /** since the lead arrived: how long the client has waited */
  waitedMs: number;
  /** the deadline in working minutes */
  minutes: number;
  breachNo: number;
  holder: string;
  newHolder: string | null;
}

/** A link to the lead's card in the portal, as notifications format it (BB code). */
function leadLink(f: BreachFacts): string {
  return `[URL=/crm/lead/details/${f.leadId}/]${f.client.replace(/[[\]]/g, '')}[/URL]`;
}

export function noticeText(
  role: 'holder' | 'new_holder' | 'previous' | 'supervisor',
  f: BreachFacts,
  lang: Lang,
): string {
  const waited = duration(f.waitedMs, lang);
  const link = leadLink(f);
  const ru = lang === 'ru';
  switch (role) {
    case 'new_holder':
      return ru
        ? `Вам передан лид ${link}: клиент ждёт ${waited}, первый контакт не состоялся за ${f.minutes} мин (был у: ${f.holder}). Свяжитесь с клиентом.`
        : `Lead ${link} is now yours: the client has waited ${waited} with no first contact within ${f.minutes} min (it was with ${f.holder}). Please contact them.`;
    case 'previous':
      return ru
        ? `Лид ${link} передан другому сотруднику (${f.newHolder}): нет первого контакта за ${f.minutes} мин, клиент ждёт ${waited}.`
        : `Lead ${link} went to ${f.newHolder}: no first contact within ${f.minutes} min; the client has waited ${waited}.`;
    case 'holder':
      return ru
        ? `Лид ${link} ждёт первого контакта: клиент ждёт ${waited}, срок — ${f.minutes} мин. Свяжитесь с клиентом.`
        : `Lead ${link} still has no first contact: the client has waited ${waited} (deadline ${f.minutes} min). Please contact them.`;
    case 'supervisor':
      return ru
        ? `Эскалация: лид ${link} без первого контакта после ${f.breachNo}-го пропущенного срока, клиент ждёт ${waited}. Сейчас у: ${f.newHolder ?? f.holder}.`
        : `Escalation: lead ${link} has had no first contact after ${f.breachNo} missed deadlines; the client has waited ${waited}. Now with ${f.newHolder ?? f.holder}.`;
  }
}

/** The assignment log's words for a breach (both languages are stored; the page shows the viewer's). */
export function breachWords(
  f: BreachFacts,
  o: { action: 'reassign' | 'notify'; nobodyElse: boolean; supervisor: string | null },
): { text_en: string; text_ru: string } {
  return breachSentences((lang) => {
    const ru = lang === 'ru';
    const waited = duration(f.waitedMs, lang);
    return {
      head: ru
        ? `Пропущен срок первого контакта (${f.breachNo}-й раз): нет контакта с клиентом «${f.client}» за ${f.minutes} мин (ответственный: ${f.holder}), клиент ждёт ${waited}.`
        : `First-touch deadline missed (${ordinal(f.breachNo)} time): ${f.holder} did not contact the client "${f.client}" within ${f.minutes} min; the client has waited ${waited}.`,
      passedOn: ru ? ` Лид передан дальше: ${f.newHolder}.` : ` The lead was passed on to ${f.newHolder}.`,
      nobodyElse: ru
        ? ' Передать некому: лид остаётся, сотрудник уведомлён.'
        : ' Nobody else could take it: it stays, and they were notified.',
      kept: ru ? ' Лид остаётся, сотрудник уведомлён.' : ' The lead stays with them; they were notified.',
    };
  }, o);
}

/**
 * A missed deadline's log words in both languages (leads here, chats in
 * openlines/first-message-texts.ts): what was missed, what became of the item, who was told.
 */
export function breachSentences(
  words: (lang: Lang) => { head: string; passedOn: string; nobodyElse: string; kept: string },
  o: { action: 'reassign' | 'notify'; nobodyElse: boolean; supervisor: string | null },
): { text_en: string; text_ru: string } {
  const make = (lang: Lang) => {
    const w = words(lang);
    const what = o.action === 'reassign' ? w.passedOn : o.nobodyElse ? w.nobodyElse : w.kept;
    const esc = o.supervisor
      ? lang === 'ru'
        ? ` Эскалация руководителю: ${o.supervisor}.`
        : ` Escalated to the supervisor ${o.supervisor}.`
      : '';
    return w.head + what + esc;
  };
  return { text_en: make('en'), text_ru: make('ru') };
}

export function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}
