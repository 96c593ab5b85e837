import type { InboxRepository, NewInboxRow } from '../db/repositories/inbox.ts';

/**
 * Group commit for the inbox. Every event must be on disk before the portal gets its 200,
 * and a durable commit costs an fsync. Rows are written once the event loop has read every
 * request that arrived together (setImmediate runs after the poll phase), so a burst pays one
 * fsync per batch instead of one per event, and a lone event waits for nothing.
 */
export class InboxWriter {
  private queue: { row: NewInboxRow; resolve: (fresh: boolean) => void; reject: (e: unknown) => void }[] = [];
  private scheduled = false;

  constructor(
    private readonly repo: InboxRepository,
    private readonly maxBatch = 400,
  ) {}

  /** Resolves once the row is committed: true if new, false if its dedup key was already stored. */
  enqueue(row: NewInboxRow): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ row, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const fresh = await this.repo.insertMany(batch.map((b) => b.row));
          for (const [i, b] of batch.entries()) b.resolve(fresh[i]);
        } catch (err) {
          for (const b of batch) b.reject(err);
        }
      }
    } finally {
      this.scheduled = false;
    }
  }
}
