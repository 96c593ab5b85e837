import type { Instance } from '../cluster/instance.ts';
import type { DialogRepository, DialogRow, PendingMove } from '../db/repositories/dialogs.ts';
import type { WriteCommand } from './write-queue.ts';

/**
 * How long after a request leaves the portal may still carry it out. The one assumption about
 * the portal that exactly-once rests on (README, "Nothing lost, nothing doubled"): a request it
 * has not carried out 15 s after it was sent (its processing takes milliseconds) is not
 * carried out later.
 */
export const IN_FLIGHT_MS = 15_000;

/** What a write command of a dialog's recorded move carries (WriteCommand.claim). */
export interface MoveClaim {
  kind: 'dialog-move';
  rowId: number;
  /** names the decision: a row decided again since is not this claim's any more */
  decidedAt: number;
}

export function isMoveClaim(c: unknown): c is MoveClaim {
  return typeof c === 'object' && c !== null && (c as MoveClaim).kind === 'dialog-move';
}

/**
 * Who may send a dialog's recorded move, and the mark that it may have been sent.
 *
 * A move is its recorder's to send. Any other process (after a crash, a CLI job, another
 * instance) takes it over only once the recorder is dead and its last send can no longer be
 * under way at the portal; and a move that may have been sent is read back from the portal
 * before it is sent again (move-runner.ts). Just before each write batch leaves, every move in it
 * is marked, in one commit: sent once more, by this process, now.
 */
export class MoveClaims {
  constructor(
    private readonly dialogs: DialogRepository,
    private readonly instance: Instance,
    private readonly clock: () => number,
  ) {}

  get owner(): string {
    return this.instance.id;
  }

  /** When this process may carry the move out: at once (≤ now), or from that time on. */
  async freeAt(p: PendingMove): Promise<number> {
    if (!p.owner || p.owner === this.instance.id) return 0;
    const dead = await this.instance.deadSince(p.owner);
    return Math.max(dead, p.sentAt ? p.sentAt + IN_FLIGHT_MS : 0);
  }

  /** WriteQueue.beforeSend: marks the batch's moves as sent (or drops those no longer ours). */
  async beforeSend(cmds: WriteCommand[]): Promise<boolean[]> {
    const claims = cmds.map((c) => (isMoveClaim(c.claim) ? c.claim : null));
    const ids = claims.filter((c): c is MoveClaim => c !== null).map((c) => c.rowId);
    if (ids.length === 0) return cmds.map(() => true);
    const rows = new Map((await this.dialogs.getMany(ids)).map((r) => [r.id, r]));
    const now = this.clock();
    const updates: { id: number; version: number; pending: PendingMove }[] = [];
    const slot: (number | null)[] = [];
    for (const c of claims) {
      if (c === null) {
        slot.push(null);
        continue;
      }
      const row = rows.get(c.rowId);
      if (!row || !(await this.mine(row, c, now))) {
        slot.push(-1);
        continue;
      }
      const p = row.pending!;
      slot.push(updates.length);
      updates.push({
        id: row.id,
        version: row.version,
        pending: { ...p, attempts: p.attempts + 1, owner: this.instance.id, sentAt: now },
      });
    }
    const done = await this.dialogs.setPendingMany(updates, now);
    return slot.map((i) => i === null || (i >= 0 && done[i]));
  }

  private async mine(row: DialogRow, c: MoveClaim, now: number): Promise<boolean> {
    const p = row.pending;
    if (row.state !== 'transferring' || !p || p.decidedAt !== c.decidedAt) return false;
    return (await this.freeAt(p)) <= now;
  }
}
