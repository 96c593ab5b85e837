import type { StoreVersionRepository } from '../db/repositories/store-versions.ts';
import type { Store } from '../db/store.ts';

/** The shared snapshots of a portal that in-memory copies are made from. */
export type SnapshotKind = 'operators' | 'lines' | 'settings';
const KINDS: readonly SnapshotKind[] = ['operators', 'lines', 'settings'];

export const snapshotName = (kind: SnapshotKind, memberId: string) => `${kind}:${memberId}`;

type Handler = (memberId: string, version: number) => void | Promise<void>;

interface PortalSeen {
  versions: Map<SnapshotKind, number>;
  /** the store's change mark when the last complete check began (SQLite); null: unknown */
  mark: number | null;
  running?: Promise<void>;
  queued?: Promise<void>;
}

/**
 * Notices that another process (a CLI job, another instance) changed a portal's shared
 * snapshot, before this process decides anything from its in-memory copy of it.
 *
 * check() reads the portal's counters (store_versions: operators, lines, settings) and runs
 * the handlers of each that moved, so the caches reload before the caller goes on. It is a
 * read in the store, not a notice that may still be on its way, so a decision made after
 * another process committed always sees that commit. On SQLite it costs nothing when no
 * other connection committed since the last check (PRAGMA data_version, no I/O). On
 * PostgreSQL it is one indexed read; callers who ask while one is running share the next one
 * (never the running one: it may have begun before the commit they must see).
 */
export class SnapshotWatch {
  private readonly portals = new Map<string, PortalSeen>();
  private readonly handlers = new Map<SnapshotKind, Handler[]>();

  constructor(
    private readonly db: Store,
    private readonly versions: StoreVersionRepository,
  ) {}

  /** Runs `fn` when the portal's `kind` snapshot moved since this process last looked. */
  on(kind: SnapshotKind, fn: Handler): void {
    const list = this.handlers.get(kind) ?? [];
    list.push(fn);
    this.handlers.set(kind, list);
  }

  /** Brings every cache of the portal up to what the store holds now (see the class comment). */
  check(memberId: string): Promise<void> {
    const p = this.portal(memberId);
    const mark = this.db.changeMark();
    if (mark !== null && p.mark === mark) return Promise.resolve();
    if (!p.running) {
      p.running = this.read(memberId, p).finally(() => {
        p.running = undefined;
      });
      return p.running;
    }
    p.queued ??= p.running
      .catch(() => undefined)
      .then(() => {
        p.queued = undefined;
        return this.check(memberId);
      });
    return p.queued;
  }

  /** Forgets what was seen of the portal (uninstall): the next check reloads everything. */
  forget(memberId: string): void {
    this.portals.delete(memberId);
  }

  private async read(memberId: string, p: PortalSeen): Promise<void> {
    const mark = this.db.changeMark();
    const now = await this.versions.read(KINDS.map((k) => snapshotName(k, memberId)));
    for (const kind of KINDS) {
      const v = now.get(snapshotName(kind, memberId)) ?? 0;
      if (v <= (p.versions.get(kind) ?? 0)) continue;
      for (const h of this.handlers.get(kind) ?? []) await h(memberId, v);
      p.versions.set(kind, v);
    }
    p.mark = mark;
  }

  private portal(memberId: string): PortalSeen {
    let p = this.portals.get(memberId);
    if (!p) {
      p = { versions: new Map(), mark: null };
      this.portals.set(memberId, p);
    }
    return p;
  }
}
