import type { CrmEntity, Mode } from './schema.ts';
import type { IneligibleWhy, Reason } from './types.ts';

/** Renders a decision's reason for people (assignment log, dashboard "why", CRM comment). */

type Lang = 'ru' | 'en';
type Why = IneligibleWhy | 'not_in_queue';

const WHY_TEXT: Record<Lang, Record<Why, string>> = {
  en: {
    excluded: 'not auto-assigned in this queue',
    unknown: 'no data about them',
    dismissed: 'dismissed',
    absent: 'absent',
    manual_pause: 'paused',
    offline: 'offline',
    paused: 'on a break',
    workday_closed: 'workday not started or closed',
    outside_hours: 'outside working hours',
    at_capacity: 'at their limit',
    over_quota: 'reached their quota',
    not_in_queue: 'not in this queue',
  },
  ru: {
    excluded: 'не получает обращения автоматически',
    unknown: 'нет данных',
    dismissed: 'уволен',
    absent: 'отсутствует',
    manual_pause: 'на паузе',
    offline: 'не в сети',
    paused: 'перерыв',
    workday_closed: 'рабочий день не начат или завершён',
    outside_hours: 'вне рабочего времени',
    at_capacity: 'достиг лимита',
    over_quota: 'исчерпал квоту',
    not_in_queue: 'не в этой очереди',
  },
};

const MODE_TEXT: Record<Lang, Record<Mode, string>> = {
  en: {
    evenly: '"evenly": the longest since their last assignment',
    strictly: '"strictly in order": the first available in the queue',
    least_loaded: '"least loaded": the fewest open items',
    weighted: '"weighted shares": their turn by weight',
    all: '"all at once"',
  },
  ru: {
    evenly: '«равномерно»: дольше всех без новых обращений',
    strictly: '«строго по очереди»: первый доступный в очереди',
    least_loaded: '«по загрузке»: меньше всех открытых обращений',
    weighted: '«по долям»: его очередь по весу',
    all: '«одновременно всем»',
  },
};

const ENTITY_TEXT: Record<Lang, Record<CrmEntity, string>> = {
  en: { contact: 'contact', company: 'company', lead: 'lead' },
  ru: { contact: 'контакту', company: 'компании', lead: 'лиду' },
};

/**
 * Russian: a name stands where it needs no declension (after a colon, in parentheses, beside
 * an arrow), so "Назначено: Анна Смирнова" reads right for any name, as "Назначено Анна
 * Смирнова" did not.
 */
export function explain(
  reason: Reason,
  lang: Lang,
  nameOf: (id: number) => string = (id) => `#${id}`,
): string {
  const en = lang === 'en';
  const who = (id: number | undefined) => (id === undefined ? '?' : nameOf(id));
  const why = (w: Why) => WHY_TEXT[lang][w];
  const op = who(reason.operatorId);
  const parts: string[] = [];
  switch (reason.rule) {
    case 'responsible_manager': {
      const r = reason.responsible;
      const entity = r ? ENTITY_TEXT[lang][r.entity] : '';
      parts.push(
        en
          ? `Assigned to ${op}, the client's responsible person (by the ${entity}).`
          : `Назначено: ${op} — ответственный за клиента (по ${entity}).`,
      );
      if (r?.assignedDespite) {
        parts.push(
          en
            ? `They are ${why(r.assignedDespite)}, but this queue does not check availability.`
            : `Сотрудник: ${why(r.assignedDespite)}, но проверка доступности в очереди выключена.`,
        );
      }
      break;
    }
    case 'sticky':
      parts.push(
        en
          ? `Assigned to ${op}, who handled this client's previous dialog.`
          : `Назначено: ${op} — оператор предыдущего диалога с этим клиентом.`,
      );
      break;
    case 'evenly':
    case 'strictly':
    case 'least_loaded':
    case 'weighted':
      parts.push(
        en
          ? `Assigned to ${op} by the rule ${MODE_TEXT.en[reason.rule]}.`
          : `Назначено: ${op}, правило ${MODE_TEXT.ru[reason.rule]}.`,
      );
      break;
    case 'portal_queue':
      parts.push(
        en
          ? "Handed to the line's own queue: everyone in it sees the item and the first to take it gets it."
          : 'Передано в очередь открытой линии: обращение видят все, берёт первый.',
      );
      break;
    case 'quota_overflow':
      parts.push(
        en
          ? `Assigned to ${op}, the overflow person: everyone in the queue reached their quota.`
          : `Назначено: ${op} — резерв при переполнении: все в очереди исчерпали квоту.`,
      );
      break;
    case 'wait':
      parts.push(
        reason.detail === 'quota_reached'
          ? en
            ? 'Waiting: everyone in the queue reached their quota; it goes out when the quota resets.'
            : 'Ожидает: все в очереди исчерпали квоту; получит первый, у кого она обновится.'
          : reason.detail === 'empty_queue'
            ? en
              ? 'Waiting: the queue has no operators.'
              : 'Ожидает: в очереди нет операторов.'
            : en
              ? 'Waiting in the queue: nobody can take it now; it goes to the first operator who can.'
              : 'Ожидает в очереди: сейчас никто не может его принять; получит первый, кто освободится.',
      );
      break;
    case 'pass_on': {
      const p = reason.passOn;
      const late =
        reason.detail === 'first_touch'
          ? en
            ? 'no first contact with the client in time'
            : 'нет первого контакта с клиентом вовремя'
          : en
            ? 'no answer in time'
            : 'нет ответа вовремя';
      parts.push(
        en
          ? `Passed on from ${who(p?.fromId)} to ${op}: ${late} (rule ${p ? MODE_TEXT.en[p.by] : '?'}).`
          : `Передано дальше: ${who(p?.fromId)} → ${op}, ${late} (правило ${p ? MODE_TEXT.ru[p.by] : '?'}).`,
      );
      if (p?.newRound) {
        parts.push(
          en
            ? 'A new round started: everyone available had it already.'
            : 'Начат новый круг: все доступные уже получали это обращение.',
        );
      }
      break;
    }
    case 'stay':
      parts.push(
        reason.dialog === 'waiting_client'
          ? en
            ? `Stays with ${op}: they wrote last and wait for the client.`
            : `Остаётся за оператором (${op}): оператор ответил и ждёт клиента.`
          : reason.dialog === 'accepted'
            ? en
              ? `Stays with ${op}: an accepted dialog keeps its operator.`
              : `Остаётся за оператором (${op}): принятый в работу диалог не передаётся.`
            : en
              ? `Stays with ${op}: nobody else can take it.`
              : `Остаётся за оператором (${op}): больше никто не может его принять.`,
      );
      break;
    case 'handover':
      parts.push(en ? `Handed over to ${op}.` : `Передано: ${op}.`);
      break;
    case 'redistribute':
      parts.push(
        reason.dialog === 'not_accepted'
          ? en
            ? `Back to distribution: ${op} had not accepted it.`
            : `Возвращено в распределение: диалог не был принят (оператор: ${op}).`
          : reason.dialog === 'client_unanswered'
            ? en
              ? `Back to distribution: the client wrote and ${op} has not answered.`
              : `Возвращено в распределение: клиент написал и не получил ответа (оператор: ${op}).`
            : en
              ? `Back to distribution: ${op} left the queue or was dismissed.`
              : `Возвращено в распределение: оператор вне очереди или уволен (${op}).`,
      );
      break;
  }
  if (reason.cover) {
    const c = reason.cover;
    const until = c.until === null ? '' : new Date(c.until).toISOString().slice(0, 10);
    parts.push(
      en
        ? `Covering for ${who(c.absentId)}, absent${until ? ` until ${until}` : ''}.`
        : `Замещает: ${who(c.absentId)} отсутствует${until ? ` до ${until}` : ''}.`,
    );
  }
  if (reason.responsible?.passedOver) {
    const r = reason.responsible;
    parts.push(
      en
        ? `The client's responsible ${who(r.operatorId)} was passed over: ${why(r.passedOver!)}.`
        : `Ответственный за клиента пропущен (${who(r.operatorId)}): ${why(r.passedOver!)}.`,
    );
  }
  if (reason.sticky) {
    const s = reason.sticky;
    parts.push(
      en
        ? `The previous operator ${who(s.operatorId)} was passed over: ${why(s.passedOver)}.`
        : `Предыдущий оператор пропущен (${who(s.operatorId)}): ${why(s.passedOver)}.`,
    );
  }
  const sk = reason.skipped;
  const lists: string[] = [];
  if (sk.at_capacity.length > 0) {
    lists.push(`${en ? 'at their limit' : 'достигли лимита'}: ${sk.at_capacity.map(who).join(', ')}`);
  }
  if (sk.unavailable.length > 0) {
    lists.push(
      `${en ? 'unavailable' : 'недоступны'}: ${sk.unavailable.map((u) => `${who(u.id)} (${why(u.why)})`).join(', ')}`,
    );
  }
  if (sk.over_quota && sk.over_quota.length > 0) {
    lists.push(`${en ? 'reached their quota' : 'исчерпали квоту'}: ${sk.over_quota.map(who).join(', ')}`);
  }
  if (sk.already_had && sk.already_had.length > 0) {
    lists.push(`${en ? 'already had it' : 'уже получали'}: ${sk.already_had.map(who).join(', ')}`);
  }
  if (lists.length > 0) {
    const more = sk.omitted ? (en ? ` and ${sk.omitted} more` : ` и ещё ${sk.omitted}`) : '';
    parts.push(`${en ? 'Skipped' : 'Пропущены'} — ${lists.join('; ')}${more}.`);
  }
  return parts.join(' ');
}
