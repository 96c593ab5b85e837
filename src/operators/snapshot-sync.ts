import type { OperatorSnapshotRepository, SnapshotRow } from '../db/repositories/operator-snapshots.ts';
import type { Logger } from '../log/logger.ts';
import type { OperatorInfo } from './types.ts';

/** A user the portal did not return: remembered, so a burst does not ask for them again. */
export interface Missing {
  missing: true;
  fetchedAt: number;
}

export type Entry = OperatorInfo | Missing;

/** What the directory keeps per portal that this step reads and writes. */
export interface SnapshotState {
  entries: Map<number, Entry>;
  /** the store's snapshot version this process's entries are complete up to */
  seen: number;
  /** this process's writes of the portal's snapshot, in order */
  saving: Promise<void>;
  /** stored entries read before this instant are not taken in (the cache was invalidated then) */
  notBefore?: number;
}

/**
 * The directory's entries mirrored in the store (operator_snapshots), so that whoever reads
 * the portal (the server, a CLI job, another instance) reads it for all of them. Writes go
 * behind the read that produced them, in order per portal; catching up takes in only the
 * rows written since the version this process last took in, and only where they are newer
 * than what it holds.
 */
export class SnapshotSync {
  constructor(
    private readonly repo: OperatorSnapshotRepository,
    private readonly log?: Logger,
  ) {}

  /** Queues the write of these users' entries; `c.saving` settles once it is stored. */
  persist(memberId: string, c: SnapshotState, ids: readonly number[]): void {
    const rows: SnapshotRow[] = [];
    for (const id of ids) {
      const e = c.entries.get(id);
      if (!e) continue;
      rows.push({
        userId: id,
        info: 'missing' in e ? null : (e as unknown as Record<string, unknown>),
        fetchedAt: e.fetchedAt,
      });
    }
    if (rows.length === 0) return;
    c.saving = c.saving.then(async () => {
      try {
        const version = await this.repo.save(memberId, rows);
        // Nobody else wrote since what this process took in: its entries are that version.
        if (version === c.seen + 1) c.seen = version;
      } catch (err) {
        this.log?.warn(
          { memberId, err: (err as Error).message },
          'operator snapshot not stored; other processes read the portal themselves',
        );
      }
    });
  }

  /**
   * Takes in what other processes stored up to `version` (read by the caller before this
   * call); returns the users whose entry changed.
   */
  async catchUp(memberId: string, c: SnapshotState, version: number): Promise<number[]> {
    if (version <= c.seen) return [];
    const rows = await this.repo.since(memberId, c.seen);
    const changed: number[] = [];
    for (const r of rows) {
      const mine = c.entries.get(r.userId);
      if (mine && mine.fetchedAt >= r.fetchedAt) continue;
      if (r.fetchedAt < (c.notBefore ?? 0)) continue;
      c.entries.set(
        r.userId,
        r.info === null ? { missing: true, fetchedAt: r.fetchedAt } : (r.info as unknown as OperatorInfo),
      );
      changed.push(r.userId);
    }
    if (version > c.seen) c.seen = version;
    return changed;
  }
}
