import type { Store as Database } from '../store.ts';

export type IdleRule = 'no_operator_answer' | 'no_client_reply';

/** A close the close-idle job decided and has not seen through yet. */
export interface CloseIntent {
  dialogId: number;
  memberId: string;
  chatId: number;
  rule: IdleRule;
  /** the assignment log's reason for the close */
  reason: unknown;
  decidedAt: number;
  sentAt: number | null;
  attempts: number;
}

/** What a dialog's history said when close-idle last read it. */
export interface IdleFacts {
  dialogId: number;
  memberId: string;
  lastMessageId: number;
  operatorWrote: boolean;
  lastFrom: 'client' | 'operator' | null;
  lastAt: number | null;
  checkedAt: number;
}

export interface DailyRun {
  localDay: string;
  timeZone: string;
  doneAt: number;
}

function toIntent(r: any): CloseIntent {
  return {
    dialogId: r.dialog_id,
    memberId: r.member_id,
    chatId: r.chat_id,
    rule: r.rule,
    reason: JSON.parse(r.reason),
    decidedAt: r.decided_at,
    sentAt: r.sent_at,
    attempts: r.attempts,
  };
}

function toFacts(r: any): IdleFacts {
  return {
    dialogId: r.dialog_id,
    memberId: r.member_id,
    lastMessageId: r.last_message_id,
    operatorWrote: r.operator_wrote === 1,
    lastFrom: r.last_from,
    lastAt: r.last_at,
    checkedAt: r.checked_at,
  };
}

/** The maintenance jobs' bookkeeping beside the dialog register (migration 040). */
export class MaintenanceRepository {
  constructor(private readonly db: Database) {}

  /** Records a decided close; false when one is already recorded for the dialog. */
  async addIntent(i: Omit<CloseIntent, 'sentAt' | 'attempts'>): Promise<boolean> {
    const r = await this.db.run(
      `INSERT INTO mnt_close_intents (dialog_id, member_id, chat_id, rule, reason, decided_at)
       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (dialog_id) DO NOTHING`,
      [i.dialogId, i.memberId, i.chatId, i.rule, JSON.stringify(i.reason ?? null), i.decidedAt],
    );
    return r.changes === 1;
  }

  async intents(memberId: string): Promise<CloseIntent[]> {
    const rows = await this.db.all<any>(
      'SELECT * FROM mnt_close_intents WHERE member_id = ? ORDER BY dialog_id',
      [memberId],
    );
    return rows.map(toIntent);
  }

  /** Notes that the portal is being asked to close it (the first time stays). */
  async markSent(dialogId: number, at: number): Promise<void> {
    await this.db.run(
      'UPDATE mnt_close_intents SET sent_at = COALESCE(sent_at, ?), attempts = attempts + 1 WHERE dialog_id = ?',
      [at, dialogId],
    );
  }

  async removeIntent(dialogId: number): Promise<void> {
    await this.db.run('DELETE FROM mnt_close_intents WHERE dialog_id = ?', [dialogId]);
  }

  async facts(memberId: string): Promise<Map<number, IdleFacts>> {
    const rows = await this.db.all<any>('SELECT * FROM mnt_idle_facts WHERE member_id = ?', [memberId]);
    return new Map(rows.map((r) => [r.dialog_id as number, toFacts(r)]));
  }

  async saveFacts(list: IdleFacts[]): Promise<void> {
    if (list.length === 0) return;
    await this.db.transaction(async (tx) => {
      for (const f of list) {
        await tx.run(
          `INSERT INTO mnt_idle_facts (dialog_id, member_id, last_message_id, operator_wrote, last_from, last_at, checked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (dialog_id) DO UPDATE SET last_message_id = excluded.last_message_id,
             operator_wrote = excluded.operator_wrote, last_from = excluded.last_from,
             last_at = excluded.last_at, checked_at = excluded.checked_at`,
          [
            f.dialogId,
            f.memberId,
            f.lastMessageId,
            f.operatorWrote ? 1 : 0,
            f.lastFrom,
            f.lastAt,
            f.checkedAt,
          ],
        );
      }
    });
  }

  /** Forgets the facts of dialogs the register no longer has open. */
  async pruneFacts(memberId: string): Promise<number> {
    const r = await this.db.run(
      `DELETE FROM mnt_idle_facts WHERE member_id = ? AND dialog_id NOT IN
         (SELECT id FROM ol_dialogs WHERE member_id = ? AND state != 'closed')`,
      [memberId, memberId],
    );
    return r.changes;
  }

  async dailyRun(memberId: string, job: string): Promise<DailyRun | undefined> {
    const r = await this.db.get<any>('SELECT * FROM mnt_daily_runs WHERE member_id = ? AND job = ?', [
      memberId,
      job,
    ]);
    return r ? { localDay: r.local_day, timeZone: r.time_zone, doneAt: r.done_at } : undefined;
  }

  async markDailyRun(memberId: string, job: string, run: DailyRun): Promise<void> {
    await this.db.run(
      `INSERT INTO mnt_daily_runs (member_id, job, local_day, time_zone, done_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (member_id, job) DO UPDATE SET local_day = excluded.local_day,
         time_zone = excluded.time_zone, done_at = excluded.done_at`,
      [memberId, job, run.localDay, run.timeZone, run.doneAt],
    );
  }
}
