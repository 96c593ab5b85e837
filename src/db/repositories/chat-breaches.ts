import { insertLogEntry, type LogEntry } from './assignment-log.ts';
import type { DialogRow, PendingMove } from './dialog-types.ts';
import { toRow } from './dialogs.ts';
import { FirstTouchRepository, insertBreach, insertNotice, toBreach } from './first-touch.ts';
import type { BreachRow, Notice } from './first-touch-types.ts';
import type { Store as Database } from '../store.ts';

/**
 * A chat's missed first-message deadline and everything it leads to (openlines/first-message.ts).
 * `objectId` is `<chatId>:<sessionId>` (breaches are counted per session), `queueId` the line's
 * queue ('line:<id>').
 */
export interface ChatBreachRecord extends Omit<BreachRow, 'written'> {
  notices: Notice[];
  log: LogEntry;
}

/**
 * Chats' first-message breaches (kind 'dialog' in the first-touch tables, migrations 080 and
 * 100). The dialog register row itself is the watch (its pass_on_at is the deadline); a breach
 * is recorded with its notices, its log entry and the row's next deadline in one transaction,
 * guarded by the row's version and the breach number, so a second run (or process) at the same
 * instant records nothing. Unwritten breaches and notices: the kind-'dialog' FirstTouchRepository
 * (`notices`).
 */
export class ChatBreachRepository {
  readonly notices: FirstTouchRepository;

  constructor(private readonly db: Database) {
    this.notices = new FirstTouchRepository(db, 'dialog');
  }

  /** The latest breach of each session (`<chatId>:<sessionId>`) that has one. */
  async latest(memberId: string, objectIds: readonly string[]): Promise<Map<string, BreachRow>> {
    const out = new Map<string, BreachRow>();
    for (let i = 0; i < objectIds.length; i += 500) {
      const part = objectIds.slice(i, i + 500);
      const rows = await this.db.all<any>(
        `SELECT * FROM first_touch_breach WHERE member_id = ? AND kind = 'dialog'
           AND object_id IN (${part.map(() => '?').join(', ')})`,
        [memberId, ...part],
      );
      for (const r of rows.map(toBreach)) {
        const had = out.get(r.objectId);
        if (!had || had.breachNo < r.breachNo) out.set(r.objectId, r);
      }
    }
    return out;
  }

  /**
   * Records a breach, moving the dialog row on: `pending`, the pass-on recorded as the register
   * records every move ('transferring', move-runner.ts carries it out), or `passOnAt`, the same
   * operator's next deadline (null: no longer watched). Returns the row as it is now, or
   * undefined when the row moved or this breach was recorded already: nothing is written then.
   */
  async record(
    b: ChatBreachRecord,
    row: Pick<DialogRow, 'id' | 'version'>,
    next: { pending: PendingMove } | { passOnAt: number | null },
  ): Promise<DialogRow | undefined> {
    return this.db
      .transaction(async (tx) => {
        const [sets, value] =
          'pending' in next
            ? ["state = 'transferring', pending = ?", JSON.stringify(next.pending)]
            : ['pass_on_at = ?', next.passOnAt];
        const moved = await tx.all<any>(
          `UPDATE ol_dialogs SET ${sets}, version = version + 1, updated_at = ?
           WHERE id = ? AND version = ? AND state = 'assigned' RETURNING *`,
          [value, b.at, row.id, row.version],
        );
        if (!moved[0]) return undefined;
        if (!(await insertBreach(tx, b, 'dialog'))) throw new BreachRecorded();
        for (const n of b.notices) await insertNotice(tx, b, n, 'dialog');
        await insertLogEntry(tx, b.log);
        return toRow(moved[0]);
      })
      .catch((err) => {
        if (err instanceof BreachRecorded) return undefined;
        throw err;
      });
  }
}

/** Another run recorded this breach number first: the transaction is rolled back. */
class BreachRecorded extends Error {}
