import type { DialogRow } from './dialog-types.ts';
import { dialogRowOf } from './dialogs.ts';
import type { Store as Database } from '../store.ts';

export type FollowEntity = 'lead' | 'deal' | 'contact';
export type FollowState = 'pending' | 'sent' | 'done' | 'superseded';

export interface FollowRow {
  id: number;
  memberId: string;
  entity: FollowEntity;
  entityId: number;
  chatId: number;
  cause: string;
  byPerson: boolean;
  fromId: number | null;
  targetId: number;
  state: FollowState;
  attempts: number;
  sentAt: number | null;
  createdAt: number;
}

export interface OwnerMark {
  side: 'chat' | 'crm';
  ownerId: number;
  byId: number | null;
  at: number;
}

/**
 * The one-owner policy's state (112_one_owner.sql): follows recorded before they are sent, and
 * the last person's change per chat. Also the dialog register's lookups the policy needs (open
 * chats of a lead or a deal), read-only.
 */
export class OwnerRepository {
  constructor(private readonly db: Database) {}

  /** Records the follows of one chat change; returns them with their ids. */
  async record(
    memberId: string,
    follows: Omit<FollowRow, 'id' | 'memberId' | 'state' | 'attempts' | 'sentAt'>[],
    at: number,
  ): Promise<FollowRow[]> {
    const out: FollowRow[] = [];
    await this.db.transaction(async (tx) => {
      for (const f of follows) {
        const r = await tx.get<{ id: number }>(
          `INSERT INTO owner_follows (member_id, entity, entity_id, chat_id, cause, by_person, from_id, target_id,
             state, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?) RETURNING id`,
          [
            memberId,
            f.entity,
            f.entityId,
            f.chatId,
            f.cause,
            f.byPerson ? 1 : 0,
            f.fromId,
            f.targetId,
            at,
            at,
          ],
        );
        out.push({ ...f, id: Number(r!.id), memberId, state: 'pending', attempts: 0, sentAt: null });
      }
    });
    return out;
  }

  /** Marks follows as sent once more, now (before the request leaves). */
  async markSent(ids: readonly number[], at: number): Promise<void> {
    for (const id of ids) {
      await this.db.run(
        `UPDATE owner_follows SET state = 'sent', attempts = attempts + 1, sent_at = ?, updated_at = ?
         WHERE id = ? AND state IN ('pending', 'sent')`,
        [at, at, id],
      );
    }
  }

  /** `echoUntil`: the item's next update event before then is this write coming back. */
  async settle(id: number, state: 'done' | 'superseded', at: number, echoUntil = 0): Promise<void> {
    await this.db.run('UPDATE owner_follows SET state = ?, echo_until = ?, updated_at = ? WHERE id = ?', [
      state,
      echoUntil,
      at,
      id,
    ]);
  }

  /** Whether an update of this item that shows `holder` is the echo of a follow's write (used up once). */
  async consumeEcho(
    memberId: string,
    entity: FollowEntity,
    id: number,
    holder: number,
    now: number,
  ): Promise<boolean> {
    const r = await this.db.run(
      `UPDATE owner_follows SET echo_until = 0 WHERE id = (
         SELECT id FROM owner_follows WHERE member_id = ? AND entity = ? AND entity_id = ? AND target_id = ?
           AND echo_until >= ? ORDER BY id DESC LIMIT 1)`,
      [memberId, entity, id, holder, now],
    );
    return r.changes > 0;
  }

  /** Follows not known to be done: never sent, or sent before `sentBefore` (read back first). */
  async unfinished(memberId: string, sentBefore: number, limit = 50): Promise<FollowRow[]> {
    const rows = await this.db.all<any>(
      `SELECT * FROM owner_follows WHERE member_id = ? AND state IN ('pending', 'sent')
         AND (state = 'pending' OR sent_at < ?) ORDER BY id LIMIT ?`,
      [memberId, sentBefore, limit],
    );
    return rows.map(toFollow);
  }

  async follows(memberId: string, chatId: number): Promise<FollowRow[]> {
    const rows = await this.db.all<any>(
      'SELECT * FROM owner_follows WHERE member_id = ? AND chat_id = ? ORDER BY id',
      [memberId, chatId],
    );
    return rows.map(toFollow);
  }

  async mark(memberId: string, chatId: number): Promise<OwnerMark | undefined> {
    const r = await this.db.get<any>('SELECT * FROM owner_marks WHERE member_id = ? AND chat_id = ?', [
      memberId,
      chatId,
    ]);
    return r
      ? { side: r.side, ownerId: Number(r.owner_id), byId: r.by_id ?? null, at: Number(r.at) }
      : undefined;
  }

  /** Keeps a person's change unless a later one is already kept (the last person's change wins). */
  async setMark(memberId: string, chatId: number, m: OwnerMark): Promise<boolean> {
    const r = await this.db.run(
      `INSERT INTO owner_marks (member_id, chat_id, side, owner_id, by_id, at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (member_id, chat_id) DO UPDATE SET side = excluded.side, owner_id = excluded.owner_id,
         by_id = excluded.by_id, at = excluded.at
       WHERE owner_marks.at <= excluded.at`,
      [memberId, chatId, m.side, m.ownerId, m.byId, m.at],
    );
    return r.changes > 0;
  }

  /** Open dialogs (with an operator or on their way to one) linked to a lead or a deal. */
  async openChatsOf(
    memberId: string,
    entity: 'lead' | 'deal',
    id: number,
    userCode: string | null,
  ): Promise<DialogRow[]> {
    const key = entity === 'lead' ? 'LEAD' : 'DEAL';
    const rows = await this.db.all<any>(
      `SELECT * FROM ol_dialogs WHERE member_id = ? AND state IN ('assigned', 'portal', 'transferring')
         AND (crm LIKE ? OR crm LIKE ?${userCode ? ' OR user_code = ?' : ''}) ORDER BY id`,
      [memberId, `%"${key}":${id},%`, `%"${key}":${id}}%`, ...(userCode ? [userCode] : [])],
    );
    return rows.map(dialogRowOf);
  }
}

function toFollow(r: any): FollowRow {
  return {
    id: Number(r.id),
    memberId: r.member_id,
    entity: r.entity,
    entityId: Number(r.entity_id),
    chatId: Number(r.chat_id),
    cause: r.cause,
    byPerson: Number(r.by_person) === 1,
    fromId: r.from_id === null ? null : Number(r.from_id),
    targetId: Number(r.target_id),
    state: r.state,
    attempts: Number(r.attempts),
    sentAt: r.sent_at === null ? null : Number(r.sent_at),
    createdAt: Number(r.created_at),
  };
}
