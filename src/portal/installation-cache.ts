import type { Installation, InstallationStore } from './installation.ts';

/** The counter every change of a portal's installation moves (db/repositories/installations.ts). */
export const installationVersionName = (memberId: string) => `installation:${memberId}`;

interface Entry {
  inst: Installation;
  /** the installation's counter when it was read */
  version: number;
  /** the store's change mark when it was read (SQLite); null on PostgreSQL */
  mark: number | null;
}

export interface InstallationCacheOptions {
  /** reads the installation counters (StoreVersionRepository) */
  versions: { read(names: readonly string[]): Promise<Map<string, number>> };
  /** the store's change mark (Store.changeMark): unchanged = no other process committed */
  changeMark: () => number | null;
  /** told when another process changed a portal's installation (its client must be rebuilt) */
  onChange?: (memberId: string) => void;
}

/**
 * Event intake looks up the sender's portal on every request. The answer is reused only while
 * it is certainly current: no process changed the installation since it was read (its
 * 'installation:<member>' counter, moved with every install, reinstall, uninstall, token or
 * plan change in any process of any instance). On SQLite that costs nothing while no other
 * connection committed (PRAGMA data_version), and one read of the counter when one did; on
 * PostgreSQL it is one indexed read of the counter instead of the row. So an uninstall or a
 * reinstall is seen by every instance at its very next request, not after a TTL.
 */
export class InstallationCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly store: InstallationStore,
    private readonly o: InstallationCacheOptions,
  ) {}

  async find(memberId: string): Promise<Installation | undefined> {
    const hit = this.entries.get(memberId);
    const mark = this.o.changeMark();
    if (hit && mark !== null && hit.mark === mark) return hit.inst;
    const name = installationVersionName(memberId);
    const version = (await this.o.versions.read([name])).get(name) ?? 0;
    if (hit?.version === version) {
      hit.mark = mark;
      return hit.inst;
    }
    const inst = await this.store.find(memberId);
    // Unknown portals are not cached, so a flood of forged member ids can't grow the map.
    if (inst) this.entries.set(memberId, { inst, version, mark });
    else this.entries.delete(memberId);
    if (hit) this.o.onChange?.(memberId);
    return inst;
  }

  invalidate(memberId: string): void {
    this.entries.delete(memberId);
  }
}
