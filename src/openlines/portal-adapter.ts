import type { CrmIds } from '../db/repositories/dialogs.ts';
import { toInt, yes } from '../operators/parse.ts';

/**
 * Every reading of a Bitrix24 field whose meaning the docs leave open, in one place (README,
 * "to verify on a real portal"). Each function names its assumption; nothing else in the app
 * parses these fields.
 */

/** ASSUMPTION: USER_CODE is `<connector>|<LINE_ID>|<connector chat>|<connector user>` (documented example only). */
export function lineIdFromUserCode(userCode: string): number | null {
  const id = toInt(String(userCode ?? '').split('|')[1]);
  return id !== null && id > 0 ? id : null;
}

/**
 * ASSUMPTION: entity_data_1 is `CRM|CRM_TYPE|CRM_ID|PAUSE|WAIT_ACTION|SESSION_ID|…`: position 6
 * is the session id (seen in the docs' example), position 5 is "the operator answered and waits
 * for the client" (not documented; taken from the module's field order).
 */
export function parseEntityData1(s: unknown): { sessionId: number | null; waitingForClient: boolean | null } {
  const parts = String(s ?? '').split('|');
  if (parts.length < 6) return { sessionId: null, waitingForClient: null };
  const sessionId = toInt(parts[5]);
  const wait = parts[4];
  return {
    sessionId: sessionId !== null && sessionId > 0 ? sessionId : null,
    waitingForClient: wait === 'Y' ? true : wait === 'N' ? false : null,
  };
}

/** entity_data_2 = `LEAD|id|COMPANY|id|CONTACT|id|DEAL|id` (documented in a tutorial); null when unreadable. */
export function parseEntityData2(s: unknown): CrmIds | null {
  const parts = String(s ?? '').split('|');
  if (parts.length < 2) return null;
  const out: CrmIds = { LEAD: 0, COMPANY: 0, CONTACT: 0, DEAL: 0 };
  let any = false;
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const key = parts[i].toUpperCase() as keyof CrmIds;
    const id = toInt(parts[i + 1]);
    if (key in out && id !== null) {
      out[key] = Math.max(0, id);
      any = true;
    }
  }
  return any ? out : null;
}

export function hasCrm(c: CrmIds | null): boolean {
  return !!c && (c.LEAD > 0 || c.COMPANY > 0 || c.CONTACT > 0 || c.DEAL > 0);
}

/** What imopenlines.dialog.get tells about a dialog. */
export interface DialogFacts {
  chatId: number;
  /**
   * ASSUMPTION: `owner` is the dialog's current operator (the bot while it holds the dialog),
   * and 0 once the session is closed or while it waits unowned in the portal's queue.
   */
  ownerId: number;
  sessionId: number | null;
  waitingForClient: boolean | null;
  lastMessageId: number;
  crm: CrmIds | null;
  userCode: string;
}

/**
 * imopenlines.dialog.get's ACCESS_ERROR: "Dialog not found or no access to it"
 * (imopenlines-dialog-get.md). Unknown, never "gone": what follows is in unreadable.ts.
 */
export function dialogUnreadable(error: string): boolean {
  return /^ACCESS_ERROR$/i.test(error.trim());
}

export function parseDialog(r: any): DialogFacts | null {
  const chatId = toInt(r?.id);
  if (chatId === null || chatId <= 0) return null;
  const e1 = parseEntityData1(r.entity_data_1);
  return {
    chatId,
    ownerId: toInt(r.owner) ?? 0,
    sessionId: e1.sessionId,
    waitingForClient: e1.waitingForClient,
    lastMessageId: toInt(r.last_message_id ?? r.last_id) ?? 0,
    crm: parseEntityData2(r.entity_data_2),
    userCode: String(r.entity_id ?? ''),
  };
}

/** What imopenlines.session.history.get tells about one session since a moment. */
export interface HistoryFacts {
  /** a staff member (not the client, not a bot, not the system) wrote at or after `since` */
  answeredSince: boolean;
  /** who wrote the last non-system message */
  lastFrom: 'client' | 'operator' | null;
  lastMessageId: number;
}

/**
 * ASSUMPTIONS: message `date` is ISO 8601 with an offset and whole seconds, so "after the
 * assignment" compares at second precision (a message in the assignment's own second counts);
 * `senderid` 0 is the system; a sender whose `users[id].connector` is true is the client, one with
 * `bot` true is a bot.
 */
/**
 * The register's change once the history shows the operator answered: the dialog is accepted, so
 * the pass-on round is over and nothing passes it on any more (pass-on and the freed-place watch).
 */
export function answeredPatch(
  row: { lastFrom: HistoryFacts['lastFrom']; lastMessageId: number },
  h: HistoryFacts,
) {
  return {
    answered: true,
    lastFrom: h.lastFrom ?? row.lastFrom,
    lastMessageId: Math.max(row.lastMessageId, h.lastMessageId),
    round: [] as number[],
    passOnAt: null,
  };
}

export function parseHistory(r: any, since: number | null): HistoryFacts {
  const users = r?.users && typeof r.users === 'object' ? r.users : {};
  const raw = r?.message && typeof r.message === 'object' ? Object.values(r.message) : [];
  const msgs = (raw as any[])
    .map((m) => ({
      id: toInt(m?.id) ?? 0,
      sender: toInt(m?.senderid) ?? 0,
      date: Date.parse(String(m?.date ?? '')),
    }))
    .sort((a, b) => a.id - b.id);
  const sinceSec = since === null ? Number.NEGATIVE_INFINITY : Math.floor(since / 1000) * 1000;
  let answeredSince = false;
  let lastFrom: HistoryFacts['lastFrom'] = null;
  let lastMessageId = 0;
  for (const m of msgs) {
    lastMessageId = Math.max(lastMessageId, m.id);
    if (m.sender <= 0) continue;
    const u = users[String(m.sender)];
    if (yes(u?.bot)) continue;
    if (yes(u?.connector)) {
      lastFrom = 'client';
      continue;
    }
    lastFrom = 'operator';
    if (!Number.isNaN(m.date) && m.date >= sinceSec) answeredSince = true;
  }
  return { answeredSince, lastFrom, lastMessageId };
}

/** Who wrote a message, as a bot event tells it. */
export type Author = 'client' | 'staff' | 'bot' | 'system';

/** v1: `data[USER][IS_CONNECTOR|IS_BOT]`, `PARAMS[SYSTEM]`. */
export function authorOfV1(params: any, user: any): Author {
  if (yes(params?.SYSTEM) || (toInt(params?.FROM_USER_ID ?? params?.AUTHOR_ID) ?? 0) <= 0) return 'system';
  if (yes(user?.IS_CONNECTOR)) return 'client';
  if (yes(user?.IS_BOT)) return 'bot';
  return 'staff';
}

/** v2: `data.message.isSystem`, `data.user.connector|bot` ("1"/"0" in webhook mode). */
export function authorOfV2(message: any, user: any): Author {
  if (yes(message?.isSystem) || (toInt(message?.authorId) ?? 0) <= 0) return 'system';
  if (yes(user?.connector)) return 'client';
  if (yes(user?.bot) || user?.type === 'bot') return 'bot';
  return 'staff';
}

/**
 * A line's queue: the users of imopenlines.config.get WITH_QUEUE=Y (`QUEUE`: "IDs of operators
 * in the queue", ordered by `QUEUE_FULL[].SORT`, "Position in the queue": imopenlines-config-get.md)
 * and the entries as configured, departments included, from imopenlines.config.list.get's
 * `CONFIG_QUEUE` ("Ordered list of line queue objects", each with `ENTITY_TYPE` and `ENTITY_ID`:
 * imopenlines-config-list-get.md); config.get does not return CONFIG_QUEUE.
 */
export interface QueueEntries {
  entries: { type: 'user' | 'department'; id: number }[];
  users: number[];
}

export function parseQueue(config: any, configQueue: unknown): QueueEntries {
  const list = (v: unknown): unknown[] =>
    Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [];
  let users = list(config?.QUEUE)
    .map((v) => toInt(typeof v === 'object' && v ? ((v as any).USER_ID ?? (v as any).ENTITY_ID) : v))
    .filter((v): v is number => v !== null && v > 0);
  const full =
    config?.QUEUE_FULL && typeof config.QUEUE_FULL === 'object' ? Object.values(config.QUEUE_FULL) : [];
  if (full.length > 0) {
    const sort = new Map<number, number>();
    for (const f of full as any[]) {
      const id = toInt(f?.USER_ID);
      if (id !== null) sort.set(id, toInt(f?.SORT) ?? 0);
    }
    users = [...users].sort((a, b) => (sort.get(a) ?? 0) - (sort.get(b) ?? 0));
  }
  const entries = list(configQueue)
    .map((e: any) => ({
      type:
        String(e?.ENTITY_TYPE ?? '').toLowerCase() === 'department'
          ? ('department' as const)
          : ('user' as const),
      id: toInt(e?.ENTITY_ID) ?? 0,
    }))
    .filter((e) => e.id > 0);
  return { entries, users: [...new Set(users)] };
}

/** The line's distribution fields we keep (the rest of config.get is not ours to cache). */
export const LINE_FIELDS = [
  'LINE_NAME',
  'ACTIVE',
  'QUEUE_TYPE',
  'QUEUE_TIME',
  'MAX_CHAT',
  'TYPE_MAX_CHAT',
  'CHECK_AVAILABLE',
  'CRM',
  'CRM_FORWARD',
  'WELCOME_BOT_ENABLE',
  'WELCOME_BOT_ID',
  'WELCOME_BOT_JOIN',
  'WELCOME_BOT_LEFT',
  'WELCOME_BOT_TIME',
] as const;

export function pickLineFields(config: any): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of LINE_FIELDS) if (config?.[f] !== undefined) out[f] = config[f];
  return out;
}

/** Is the app's bot attached the way CONTRACT.md asks? */
export function botAttached(config: any, botId: number): boolean {
  return (
    String(config?.WELCOME_BOT_ENABLE ?? '') === 'Y' &&
    toInt(config?.WELCOME_BOT_ID) === botId &&
    String(config?.WELCOME_BOT_JOIN ?? 'always') === 'always' &&
    String(config?.WELCOME_BOT_LEFT ?? 'queue') === 'queue'
  );
}

/** imbot.bot.list (deprecated v1 list; used only where imbot.v2.Bot.list is missing or for v1 bots) → the id of the bot with `code`. */
export function findBot(list: unknown, code: string): number | null {
  const rows = Array.isArray(list) ? list : list && typeof list === 'object' ? Object.values(list) : [];
  for (const r of rows as any[]) {
    if (String(r?.CODE ?? r?.code ?? '') === code) return toInt(r?.ID ?? r?.id);
  }
  return null;
}

/** imbot.v2.Bot.register → bot id (`result.bot.id`); imbot.register → the id itself. */
export function registeredBotId(result: unknown): number | null {
  if (typeof result === 'number' || typeof result === 'string') return toInt(result);
  return toInt((result as any)?.bot?.id ?? (result as any)?.id);
}

/** ASSUMPTION: crm.item.get answers `{item: {assignedById, createdTime}}` with createdTime in ISO 8601. */
export function parseCrmItem(r: any): { responsibleId: number | null; createdAt: number | null } {
  const item = r?.item ?? r;
  const responsibleId = toInt(item?.assignedById ?? item?.ASSIGNED_BY_ID);
  const created = Date.parse(String(item?.createdTime ?? item?.DATE_CREATE ?? ''));
  return {
    responsibleId: responsibleId !== null && responsibleId > 0 ? responsibleId : null,
    createdAt: Number.isNaN(created) ? null : created,
  };
}
