import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { InstanceRepository } from '../db/repositories/instances.ts';

/** How often a process says it is alive, and after how long without a word it counts as dead. */
export const HEARTBEAT_MS = 2_000;
export const STALE_MS = 6_000;

/**
 * This process among all that share the store (the server, a CLI job, other instances). It
 * names whoever holds a piece of work in flight (a dialog's move being sent), and tells the
 * others whether that holder is still alive: a dead holder's work may be taken over, a live
 * one's never.
 */
export class Instance {
  readonly id = randomUUID();
  private timer?: NodeJS.Timeout;
  private readonly seen = new Map<string, { at: number | null; readAt: number }>();

  constructor(
    private readonly repo: InstanceRepository,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Registers this process and keeps its heartbeat going (the timer never holds the process up). */
  async start(): Promise<void> {
    await this.repo.beat(this.id, process.pid, hostname(), this.clock());
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.repo.beat(this.id, process.pid, hostname(), this.clock()).catch(() => undefined);
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.repo.remove(this.id).catch(() => undefined);
  }

  /**
   * When `owner` was last seen alive (null: never, or it stopped cleanly). Read from the store
   * at most once a second per owner.
   */
  async lastSeen(owner: string): Promise<number | null> {
    const now = this.clock();
    if (owner === this.id) return now;
    const hit = this.seen.get(owner);
    if (hit && now - hit.readAt < 1000) return hit.at;
    const at = await this.repo.seenAt(owner);
    this.seen.set(owner, { at, readAt: now });
    if (this.seen.size > 1000) this.seen.delete(this.seen.keys().next().value as string);
    return at;
  }

  /** Since when `owner` counts as dead (its last word + STALE_MS); now or earlier = dead already. */
  async deadSince(owner: string): Promise<number> {
    const at = await this.lastSeen(owner);
    return at === null ? 0 : at + STALE_MS;
  }
}
