/*
 * The one-owner policy's entries in the assignment log, in words for people (RU/EN): the
 * dashboard shows `text_<lang>` for reasons that are not the engine's (web/api/dashboard.ts).
 */

const CAUSE: Record<string, { en: string; ru: string }> = {
  assign: { en: 'the app gave the chat out', ru: 'приложение распределило чат' },
  pass_on: { en: 'the chat passed on unanswered', ru: 'чат передан дальше без ответа' },
  return: { en: 'its operator became unavailable', ru: 'оператор стал недоступен' },
  reclaim: { en: 'its operator left the queue', ru: 'оператор вышел из очереди' },
  portal_queue: { en: "the portal's queue took the chat", ru: 'чат взяла очередь портала' },
  follow: { en: 'the chat followed its CRM owner', ru: 'чат последовал за ответственным в CRM' },
  handover: { en: 'a handover for an absence', ru: 'передача на время отсутствия' },
  transfer: { en: 'a person transferred the chat', ru: 'сотрудник передал чат' },
};

const causeOf = (cause: string) => CAUSE[cause] ?? { en: cause, ru: cause };

export type FollowReasonKind = 'follows' | 'stands';

/** Why a CRM item's responsible followed its chat, or why it did not. */
export function followReason(
  kind: FollowReasonKind,
  c: { chatId: number; cause: string; byPerson: boolean },
  operatorId: number,
): Record<string, unknown> {
  const cause = causeOf(c.cause);
  const text =
    kind === 'follows'
      ? {
          text_en: `One owner: the responsible follows chat #${c.chatId} to #${operatorId} (${cause.en})`,
          text_ru: `Один ответственный: ответственный следует за чатом №${c.chatId} к #${operatorId} (${cause.ru})`,
        }
      : {
          text_en: `One owner: chat #${c.chatId} moved (${cause.en}), but a person chose this responsible (#${operatorId}): their choice stands`,
          text_ru: `Один ответственный: чат №${c.chatId} передан (${cause.ru}), но этого ответственного (#${operatorId}) выбрал сотрудник: его выбор остаётся`,
        };
  return { rule: 'follow', kind, chatId: c.chatId, cause: c.cause, byPerson: c.byPerson, ...text };
}

/** Why a chat followed its lead's or deal's responsible (logged with the chat's move). */
export function chatFollowReason(
  c: { entity: 'lead' | 'deal'; id: number; byPerson: boolean; by: number | null },
  operatorId: number,
): Record<string, unknown> {
  const who = c.byPerson
    ? { en: c.by ? `person #${c.by}` : 'a person', ru: c.by ? `сотрудник #${c.by}` : 'сотрудник' }
    : { en: 'an automation', ru: 'автоматизация' };
  const what = c.entity === 'lead' ? { en: 'lead', ru: 'лида' } : { en: 'deal', ru: 'сделки' };
  return {
    rule: 'follow',
    kind: 'chat_follows',
    entity: c.entity,
    entityId: c.id,
    byPerson: c.byPerson,
    by: c.by,
    text_en: `One owner: the chat follows the ${what.en} #${c.id}, given to #${operatorId} by ${who.en}`,
    text_ru: `Один ответственный: чат следует за ответственным ${what.ru} №${c.id}: #${operatorId} (изменил: ${who.ru})`,
  };
}

/** Why a person's change was not followed: a person changed the other side later. */
export function laterChangeReason(side: 'chat' | 'crm', at: number): Record<string, unknown> {
  return {
    rule: 'follow',
    kind: 'later_person_change',
    side,
    at,
    text_en: `One owner: not followed — a person changed the ${side === 'chat' ? 'chat' : 'CRM owner'} later, and the last person's change wins`,
    text_ru: `Один ответственный: не применено — сотрудник позже изменил ${side === 'chat' ? 'чат' : 'ответственного в CRM'}, действует последнее изменение сотрудника`,
  };
}
