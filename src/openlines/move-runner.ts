import type { DialogRow } from '../db/repositories/dialogs.ts';
import type { DialogFacts } from './portal-adapter.ts';
import type { MoveClaim } from './move-claims.ts';
import { commandFor } from './move-commands.ts';
import { type MoveOutcomes, readDialogs } from './move-outcomes.ts';
import type { OpenLinesDeps } from './service-deps.ts';
import { NOT_CLAIMED } from './write-queue.ts';

const RETRY_DELAYS_MS = [250, 1000, 3000, 8000];

interface RunOptions {
  /** false: the caller has just read the portal back and found the move not done */
  readBack?: boolean;
}

/**
 * Carries recorded moves out: sends each through the write queue (claimed just before it
 * leaves), retries what was not sent, and reads back from the portal any move that may have
 * reached it before sending it again. After a crash, `recover` does the same for every move
 * the register still holds. What an answer means for the row is MoveOutcomes' business.
 */
export class MoveRunner {
  private readonly executing = new Map<number, Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly recoveries = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly d: OpenLinesDeps,
    private readonly outcomes: MoveOutcomes,
  ) {}

  /** Carries out a row's recorded decision; one run per row at a time; never throws. */
  execute(memberId: string, rowId: number, row?: DialogRow, o: RunOptions = {}): Promise<void> {
    const running = this.executing.get(rowId);
    if (running) return running;
    const p = this.run(memberId, rowId, row, o)
      .catch((err) => this.d.log.error({ memberId, rowId, err: (err as Error).message }, 'transfer failed'))
      .finally(() => this.executing.delete(rowId));
    this.executing.set(rowId, p);
    return p;
  }

  /**
   * Starts every recorded decision the portal has not confirmed (after a crash, or retries that
   * ran out). Moves that may have reached the portal are read back first, all of them in batch
   * requests, and sent again only where the portal shows they were not done. Moves another live
   * process holds are left to it; the recovery runs again when they become free.
   */
  async recover(memberId: string): Promise<number> {
    const rows = (await this.d.dialogs.open(memberId, ['transferring'])).filter(
      (r) => r.pending && !this.executing.has(r.id),
    );
    const now = this.d.clock();
    const free: DialogRow[] = [];
    let nextAt = Number.POSITIVE_INFINITY;
    for (const r of rows) {
      const at = await this.d.claims.freeAt(r.pending!);
      if (at <= now) free.push(r);
      else nextAt = Math.min(nextAt, at);
    }
    if (nextAt < Number.POSITIVE_INFINITY) this.recoverLater(memberId, nextAt - now);
    const sent = free.filter((r) => r.pending!.attempts > 0);
    let facts: Map<number, DialogFacts>;
    try {
      facts = await readDialogs(await this.d.clients.get(memberId), sent);
    } catch (err) {
      // Nothing is sent again unread: try the whole recovery again shortly.
      this.d.log.warn({ memberId, err: (err as Error).message }, 'read-back failed; recovery retries');
      this.recoverLater(memberId, 2000);
      return 0;
    }
    // Shown again: no longer unreadable.
    await this.d.dialogs.markChecked(
      sent.filter((r) => r.unreadableSince !== null && facts.has(r.id)).map((r) => r.id),
      now,
    );
    const runs: Promise<void>[] = [];
    for (const r of free) {
      if (r.pending!.attempts > 0) {
        const v = await this.outcomes.verdict(memberId, r, facts.get(r.id) ?? null);
        if (v !== 'not_done') {
          await this.outcomes.settle(memberId, r, v, facts.get(r.id) ?? null);
          continue;
        }
      }
      runs.push(this.execute(memberId, r.id, r, { readBack: false }));
    }
    await Promise.all(runs);
    return free.length;
  }

  /** The moves being carried out now (idle waits for them). */
  inFlight(): Promise<void>[] {
    return [...this.executing.values()];
  }

  /** No more retries or recoveries; the timers waiting for them are cleared. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const t of this.recoveries.values()) clearTimeout(t);
    this.recoveries.clear();
  }

  private recoverLater(memberId: string, inMs: number): void {
    if (this.stopped || this.recoveries.has(memberId)) return;
    const t = setTimeout(
      () => {
        this.recoveries.delete(memberId);
        this.recover(memberId).catch((err) =>
          this.d.log.warn({ memberId, err: (err as Error).message }, 'recovery failed; sync retries'),
        );
      },
      Math.max(50, inMs + 50),
    );
    t.unref?.();
    this.recoveries.set(memberId, t);
  }

  private async run(memberId: string, rowId: number, known: DialogRow | undefined, o: RunOptions) {
    for (let attempt = 0; !this.stopped; attempt++) {
      // The caller's row is current on the first attempt (it comes from the move that recorded it).
      const row = attempt === 0 && known ? known : await this.d.dialogs.get(rowId);
      if (row?.state !== 'transferring' || !row.pending) return;
      const p = row.pending;
      if (p.targetId !== null && row.holder === 'operator' && row.operatorId === p.targetId) {
        // Already theirs (e.g. back from a return to the same operator): nothing to ask the portal.
        await this.outcomes.confirm(memberId, row);
        return;
      }
      // Another live process holds it (or its last send may still be under way): theirs.
      if ((await this.d.claims.freeAt(p)) > this.d.clock()) return;
      if (p.attempts > 0 && (attempt > 0 || o.readBack !== false)) {
        // It may have reached the portal: the portal says, before anything is sent again.
        let facts: DialogFacts | null;
        try {
          facts = (await readDialogs(await this.d.clients.get(memberId), [row])).get(row.id) ?? null;
        } catch (err) {
          // Not read, so not sent: ask again after a pause.
          if (attempt >= RETRY_DELAYS_MS.length) throw err;
          await this.sleep(RETRY_DELAYS_MS[attempt]);
          continue;
        }
        if (facts && row.unreadableSince !== null) await this.d.dialogs.markChecked([row.id], this.d.clock());
        const v = await this.outcomes.verdict(memberId, row, facts);
        if (v !== 'not_done') {
          await this.outcomes.settle(memberId, row, v, facts);
          return;
        }
      }
      const claim: MoveClaim = { kind: 'dialog-move', rowId: row.id, decidedAt: p.decidedAt };
      const out = await this.d.writes.submit(memberId, { ...commandFor(row, p), claim });
      if (out.ok) {
        // The claim moved the row's version: confirm against the row as it is now.
        const now = await this.d.dialogs.get(row.id);
        if (now?.state === 'transferring' && now.pending?.decidedAt === p.decidedAt) {
          await this.outcomes.confirm(memberId, now);
        }
        return;
      }
      if (out.error === NOT_CLAIMED) {
        // Decided again, finished or taken over meanwhile: look again (bounded).
        if (attempt >= 2) return;
        continue;
      }
      if (out.sent === 'yes' && !out.retryable) {
        await this.outcomes.reconcile(memberId, (await this.d.dialogs.get(row.id)) ?? row, out);
        return;
      }
      // Not sent, or the answer was lost: again after a pause (a lost one is read back first).
      if (attempt >= RETRY_DELAYS_MS.length) {
        this.d.log.warn(
          { memberId, chatId: row.chatId, error: out.error },
          'transfer still failing; sync retries it',
        );
        return;
      }
      await this.sleep(RETRY_DELAYS_MS[attempt]);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      t.unref?.();
      this.timers.add(t);
    });
  }
}
