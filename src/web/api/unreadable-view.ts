import type { DialogRow } from '../../db/repositories/dialogs.ts';
import { unreadablePause } from '../../openlines/unreadable.ts';
import { dictionary, type Lang } from '../i18n.ts';

/** How many chats the note names; the list in `dialogs` has them all. */
const NAMED = 10;

/**
 * The dashboard's word on dialogs the portal will not show (openlines/unreadable.ts): which,
 * since when, when each is read again, and one line (RU/EN, views/i18n.json) saying what the app
 * does with them and what an administrator can do. null when there are none.
 */
export function unreadableView(rows: DialogRow[] | null, lang: Lang, lineName: (id: number) => string) {
  if (!rows || rows.length === 0) return null;
  const since = Math.min(...rows.map((r) => r.unreadableSince ?? Number.POSITIVE_INFINITY));
  const chats = rows.slice(0, NAMED).map((r) => r.chatId);
  const note = dictionary(lang)
    .unreadable_note.replace('{count}', String(rows.length))
    .replace('{since}', `${new Date(since).toISOString().slice(0, 16).replace('T', ' ')} UTC`)
    .replace('{chats}', chats.join(', ') + (rows.length > NAMED ? ', …' : ''));
  return {
    count: rows.length,
    since,
    note,
    dialogs: rows.map((r) => ({
      chatId: r.chatId,
      lineId: r.lineId,
      lineName: lineName(r.lineId),
      state: r.state,
      operatorId: r.operatorId,
      since: r.unreadableSince,
      refusals: r.unreadableChecks,
      nextReadAt: (r.checkedAt ?? r.unreadableSince ?? 0) + unreadablePause(r.unreadableChecks),
    })),
  };
}
