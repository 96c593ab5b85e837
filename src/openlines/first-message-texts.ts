/*
 * What people read about a chat's missed first-message deadline, in the portal's language: the
 * notifications (im.notify.system.add) and the assignment log's words. Every text names the
 * client (as the session's history names them) and how long they have waited. Names stand
 * where Russian needs no declension (after a colon, in parentheses, in quotes).
 */

import type { Lang } from '../crm/comment.ts';
import { breachSentences, ordinal } from '../crm/first-touch/texts.ts';

export type { Lang };

/** "45 s", "3 min 5 s", "2 h 5 min", "1 d 3 h" / "45 с", "3 мин 5 с", … */
export function waited(ms: number, lang: Lang): string {
  const sec = Math.max(0, Math.round(ms / 1000));
  const u = lang === 'ru' ? { d: 'д', h: 'ч', m: 'мин', s: 'с' } : { d: 'd', h: 'h', m: 'min', s: 's' };
  const [d, h, m, s] = [
    Math.floor(sec / 86_400),
    Math.floor((sec % 86_400) / 3600),
    Math.floor((sec % 3600) / 60),
    sec % 60,
  ];
  const two = (a: number, ua: string, b: number, ub: string) =>
    b > 0 ? `${a} ${ua} ${b} ${ub}` : `${a} ${ua}`;
  if (d > 0) return two(d, u.d, h, u.h);
  if (h > 0) return two(h, u.h, m, u.m);
  if (m > 0) return two(m, u.m, s, u.s);
  return `${s} ${u.s}`;
}

export interface ChatBreachFacts {
  chatId: number;
  /** the client as the session's history names them (else the chat's name) */
  client: string;
  /** the line's name */
  line: string;
  /** since the dialog arrived: how long the client has waited */
  waitedMs: number;
  /** the deadline, in working seconds */
  seconds: number;
  breachNo: number;
  holder: string;
  newHolder: string | null;
}

export type NoticeRole = 'holder' | 'new_holder' | 'previous' | 'supervisor';

export function chatNoticeText(role: NoticeRole, f: ChatBreachFacts, lang: Lang): string {
  const w = waited(f.waitedMs, lang);
  const limit = waited(f.seconds * 1000, lang);
  const client = f.client.replace(/[[\]]/g, '');
  const ru = lang === 'ru';
  switch (role) {
    case 'new_holder':
      return ru
        ? `Вам передан чат с клиентом «${client}» (линия: ${f.line}): клиент ждёт ${w}, ответа не было за ${limit} (был у: ${f.holder}). Ответьте клиенту.`
        : `The chat with "${client}" (line ${f.line}) is now yours: the client has waited ${w} with no answer within ${limit} (it was with ${f.holder}). Please answer them.`;
    case 'previous':
      return ru
        ? `Чат с клиентом «${client}» передан другому оператору (${f.newHolder}): нет ответа за ${limit}, клиент ждёт ${w}.`
        : `The chat with "${client}" went to ${f.newHolder}: no answer within ${limit}; the client has waited ${w}.`;
    case 'holder':
      return ru
        ? `Клиент «${client}» ждёт вашего ответа в чате (линия: ${f.line}): ждёт ${w}, срок — ${limit}. Ответьте клиенту.`
        : `"${client}" is waiting for your answer in the chat (line ${f.line}): waiting ${w}, deadline ${limit}. Please answer them.`;
    case 'supervisor':
      return ru
        ? `Эскалация: клиент «${client}» (линия: ${f.line}) без ответа после ${f.breachNo}-го пропущенного срока, ждёт ${w}. Сейчас у: ${f.newHolder ?? f.holder}.`
        : `Escalation: "${client}" (line ${f.line}) has had no answer after ${f.breachNo} missed deadlines and has waited ${w}. Now with ${f.newHolder ?? f.holder}.`;
  }
}

/** The assignment log's words for a chat's breach (both languages are stored; the page shows the viewer's). */
export function chatBreachWords(
  f: ChatBreachFacts,
  o: { action: 'reassign' | 'notify'; nobodyElse: boolean; supervisor: string | null },
): { text_en: string; text_ru: string } {
  return breachSentences((lang) => {
    const ru = lang === 'ru';
    const w = waited(f.waitedMs, lang);
    const limit = waited(f.seconds * 1000, lang);
    return {
      head: ru
        ? `Пропущен срок первого ответа в чате (${f.breachNo}-й раз): нет ответа клиенту «${f.client}» за ${limit} (оператор: ${f.holder}), клиент ждёт ${w}.`
        : `First-answer deadline missed (${ordinal(f.breachNo)} time): ${f.holder} did not answer "${f.client}" within ${limit}; the client has waited ${w}.`,
      passedOn: ru ? ` Чат передан дальше: ${f.newHolder}.` : ` The chat was passed on to ${f.newHolder}.`,
      nobodyElse: ru
        ? ' Передать некому: чат остаётся, оператор уведомлён.'
        : ' Nobody else could take it: it stays, and they were notified.',
      kept: ru
        ? ' Чат остаётся у оператора, он уведомлён.'
        : ' The chat stays with them; they were notified.',
    };
  }, o);
}

/** The client's name from imopenlines.session.history.get: the connector user's, else the chat's name. */
export function clientNameOf(history: any, chatId: number): string | null {
  const users = history?.users && typeof history.users === 'object' ? Object.values(history.users) : [];
  const client = (users as any[]).find(
    (u) => u?.connector === true || u?.connector === 'Y' || u?.connector === '1',
  );
  const name = String(client?.name ?? '').trim();
  if (name) return name;
  const chat = history?.chat?.[String(chatId)] ?? history?.chat;
  const title = String(chat?.name ?? '').trim();
  return title || null;
}
