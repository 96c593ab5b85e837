import type { Installation, InstallationStore } from './installation.ts';

/**
 * Event intake looks up the sender's portal on every request; a few seconds of caching takes
 * that read off the hot path. Install and uninstall in this process invalidate at once;
 * another process's change is seen within `ttlMs`.
 */
export class InstallationCache {
  private readonly entries = new Map<string, { inst: Installation | undefined; at: number }>();

  constructor(
    private readonly store: InstallationStore,
    private readonly ttlMs = 5000,
    private readonly clock: () => number = Date.now,
  ) {}

  async find(memberId: string): Promise<Installation | undefined> {
    const hit = this.entries.get(memberId);
    if (hit && this.clock() - hit.at < this.ttlMs) return hit.inst;
    const inst = await this.store.find(memberId);
    // Unknown portals are not cached, so a flood of forged member ids can't grow the map.
    if (inst) this.entries.set(memberId, { inst, at: this.clock() });
    else this.entries.delete(memberId);
    return inst;
  }

  invalidate(memberId: string): void {
    this.entries.delete(memberId);
  }
}
