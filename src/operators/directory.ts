import type { OperatorSnapshotRepository } from '../db/repositories/operator-snapshots.ts';
import type { Logger } from '../log/logger.ts';
import type { BatchResult, Call, PortalClient } from '../portal/client.ts';
import { imUsers, parseAbsent, parseUserRow, parseWorkday, toInt, type UserRow } from './parse.ts';
import { type Entry, SnapshotSync } from './snapshot-sync.ts';
import type { GetOptions, OperatorInfo } from './types.ts';

export interface OperatorDirectoryOptions {
  clock?: () => number;
  /** how long a user's availability is trusted; the sync job refreshes it for whole queues at once */
  ttlMs?: number;
  /** how long a department's member list is trusted (changes of staff are rare) */
  departmentTtlMs?: number;
  log?: Logger;
  /**
   * The shared snapshot in the store: every read of the portal is written there, and
   * catchUp() takes in what other processes read. Without it the directory is this
   * process's alone (unit tests).
   */
  snapshots?: OperatorSnapshotRepository;
  /** brings the snapshot (and every other cache of the portal) up to the store's before a read */
  watch?: { check(memberId: string): Promise<void> };
}

/** user.get pages hold 50 rows, so one command can read at most 50 users by id. */
const IDS_PER_COMMAND = 50;
const SCOPE_ERRORS = /insufficient_scope|ACCESS_DENIED|WRONG_AUTH|METHOD_NOT_FOUND/i;

/** Commands that refresh some users, and the step that stores their answers. */
export interface RefreshPlan {
  calls: Record<string, Call>;
  /** Throws when user.get failed (nothing is stored then). */
  ingest(result: BatchResult): void;
}

interface PortalCache {
  entries: Map<number, Entry>;
  /** the store's snapshot version these entries are complete up to (SnapshotSync) */
  seen: number;
  saving: Promise<void>;
  inflight: Map<number, Promise<void>>;
  /** false once the portal refused timeman.status outright (no scope or rights): stop asking */
  timeman: boolean;
  notBefore?: number;
  tree?: { parents: Map<number, number | null>; fetchedAt: number };
  departments: Map<number, { userIds: number[]; fetchedAt: number }>;
  departmentsInflight?: Promise<void>;
}

/**
 * Who the staff are and whether they can work right now, per portal: `user.get` (ACTIVE,
 * IS_ONLINE, departments, time zone), `timeman.status` (workday) and `im.user.list.get`
 * (absence), read for many users at once in batch requests of at most 50 commands and kept
 * for a short TTL (60 s: the sync job refreshes every minute). Concurrent askers for the same
 * users share one read, so a burst of new dialogs costs one refresh, not one per dialog.
 *
 * The memory here is a read-through copy of the store's snapshot (SnapshotSync): what this
 * process reads from the portal is stored for every other process, and catchUp() takes in
 * what they read, whenever the portal's snapshot version moved (cluster/shared-state.ts).
 */
export class OperatorDirectory {
  private readonly clock: () => number;
  readonly ttlMs: number;
  readonly departmentTtlMs: number;
  private readonly portals = new Map<string, PortalCache>();
  private readonly snapshot: SnapshotSync | undefined;
  private readonly listeners: ((memberId: string, ids: number[]) => void)[] = [];

  constructor(private readonly o: OperatorDirectoryOptions = {}) {
    this.clock = o.clock ?? Date.now;
    this.ttlMs = o.ttlMs ?? 60_000;
    this.departmentTtlMs = o.departmentTtlMs ?? 5 * 60_000;
    this.snapshot = o.snapshots ? new SnapshotSync(o.snapshots, o.log) : undefined;
  }

  /**
   * Takes in the users other processes read since this one last looked, up to `version` (the
   * portal's snapshot version, just read from the store). Returns the users whose entry changed.
   */
  async catchUp(memberId: string, version: number): Promise<number[]> {
    if (!this.snapshot) return [];
    const changed = await this.snapshot.catchUp(memberId, this.portal(memberId), version);
    if (changed.length > 0) for (const l of this.listeners) l(memberId, changed);
    return changed;
  }

  /** Hears of users whose entry another process's read changed (catchUp). */
  onChange(fn: (memberId: string, ids: number[]) => void): void {
    this.listeners.push(fn);
  }

  /** Resolves once every read so far is in the store (before a CLI job exits, at shutdown). */
  async saved(memberId?: string): Promise<void> {
    const caches = memberId ? [this.portals.get(memberId)] : [...this.portals.values()];
    await Promise.all(caches.map((c) => c?.saving));
  }

  /**
   * The users `ids` (unknown ids are left out of the map). Entries younger than the TTL come
   * from the cache unless `fresh`; the rest are read together. If the portal cannot be read
   * and every asked user has an older entry, the older entries are returned.
   */
  async get(
    memberId: string,
    client: PortalClient,
    ids: Iterable<number>,
    o: GetOptions = {},
  ): Promise<Map<number, OperatorInfo>> {
    if (!o.fresh) await this.o.watch?.check(memberId);
    const c = this.portal(memberId);
    const now = this.clock();
    const wanted = [...new Set(ids)].filter((id) => Number.isInteger(id) && id > 0);
    const need: number[] = [];
    const waits = new Set<Promise<void>>();
    for (const id of wanted) {
      const pending = c.inflight.get(id);
      if (pending) {
        waits.add(pending);
        continue;
      }
      const e = c.entries.get(id);
      if (!o.fresh && e && now - e.fetchedAt < this.ttlMs) continue;
      need.push(id);
    }
    if (need.length > 0) {
      const p = this.fetch(memberId, c, client, need);
      for (const id of need) c.inflight.set(id, p);
      const clear = () => {
        for (const id of need) if (c.inflight.get(id) === p) c.inflight.delete(id);
      };
      p.then(clear, clear);
      waits.add(p);
    }
    try {
      await Promise.all(waits);
    } catch (err) {
      if (wanted.some((id) => !c.entries.has(id))) throw err;
      this.o.log?.warn(
        { memberId, err: (err as Error).message },
        'operator refresh failed; using older data',
      );
    }
    const out = new Map<number, OperatorInfo>();
    for (const id of wanted) {
      const e = c.entries.get(id);
      if (e && !('missing' in e)) out.set(id, e);
    }
    return out;
  }

  /** What the cache holds for `ids`, however old, without asking the portal. */
  peek(memberId: string, ids: Iterable<number>): Map<number, OperatorInfo> {
    const c = this.portals.get(memberId);
    const out = new Map<number, OperatorInfo>();
    if (!c) return out;
    for (const id of ids) {
      const e = c.entries.get(id);
      if (e && !('missing' in e)) out.set(id, e);
    }
    return out;
  }

  /** Whether every one of `ids` has an entry younger than the TTL. */
  isFresh(memberId: string, ids: Iterable<number>): boolean {
    const c = this.portals.get(memberId);
    const now = this.clock();
    for (const id of ids) {
      const e = c?.entries.get(id);
      if (!e || now - e.fetchedAt >= this.ttlMs) return false;
    }
    return true;
  }

  /** Forgets cached users (all of the portal's when `ids` is omitted), e.g. on uninstall. */
  invalidate(memberId: string, ids?: Iterable<number>): void {
    if (!ids) {
      // What the store's snapshot holds from before now is as stale as what is forgotten here:
      // another process's read may not stand in for the portal's.
      this.portals.delete(memberId);
      this.portal(memberId).notBefore = this.clock();
      return;
    }
    const c = this.portals.get(memberId);
    if (c) for (const id of ids) c.entries.delete(id);
  }

  /**
   * Active users of each department in `departmentIds`, sub-departments included, by id. Read
   * with `department.get` (the tree) and `user.get` filtered by UF_DEPARTMENT; cached longer
   * than availability because staff changes are rare.
   */
  async departmentMembers(
    memberId: string,
    client: PortalClient,
    departmentIds: Iterable<number>,
    o: GetOptions = {},
  ): Promise<Map<number, number[]>> {
    const c = this.portal(memberId);
    const wanted = [...new Set(departmentIds)].filter((id) => Number.isInteger(id) && id > 0);
    const now = this.clock();
    const stale = wanted.filter((d) => {
      const e = c.departments.get(d);
      return o.fresh || !e || now - e.fetchedAt >= this.departmentTtlMs;
    });
    if (stale.length > 0) {
      // One read at a time per portal: a second caller waits for it and then sees fresh entries.
      while (c.departmentsInflight) await c.departmentsInflight.catch(() => undefined);
      // Whatever a read that finished meanwhile brought is good enough, unless asked for fresh data.
      const still = stale.filter((d) => {
        const e = c.departments.get(d);
        return !e || (o.fresh ? e.fetchedAt < now : this.clock() - e.fetchedAt >= this.departmentTtlMs);
      });
      if (still.length > 0) {
        const p = this.fetchDepartments(c, client, still, o.fresh === true);
        c.departmentsInflight = p;
        try {
          await p;
        } finally {
          c.departmentsInflight = undefined;
        }
      }
    }
    const out = new Map<number, number[]>();
    for (const d of wanted) out.set(d, [...(c.departments.get(d)?.userIds ?? [])]);
    return out;
  }

  private portal(memberId: string): PortalCache {
    let c = this.portals.get(memberId);
    if (!c) {
      c = {
        entries: new Map(),
        seen: 0,
        saving: Promise.resolve(),
        inflight: new Map(),
        timeman: true,
        departments: new Map(),
      };
      this.portals.set(memberId, c);
    }
    return c;
  }

  /**
   * The commands that refresh `ids`, to send in a batch of one's own (with other reads, so a
   * job pays one request for everything), and the step that takes their answers in. Until
   * `ingest` runs the cache is unchanged.
   */
  refreshPlan(memberId: string, ids: Iterable<number>): RefreshPlan {
    const c = this.portal(memberId);
    const list = [...new Set(ids)].filter((id) => Number.isInteger(id) && id > 0);
    const calls: Record<string, Call> = {};
    const chunks: number[][] = [];
    for (let i = 0; i < list.length; i += IDS_PER_COMMAND) chunks.push(list.slice(i, i + IDS_PER_COMMAND));
    chunks.forEach((chunk, i) => {
      calls[`op_u${i}`] = ['user.get', { FILTER: { ID: chunk } }];
      calls[`op_i${i}`] = ['im.user.list.get', { ID: chunk }];
    });
    const timeman = c.timeman;
    if (timeman) for (const id of list) calls[`op_t${id}`] = ['timeman.status', { USER_ID: id }];
    const ingest = (r: BatchResult) => {
      const fetchedAt = this.clock();
      const users = new Map<number, UserRow>();
      for (let i = 0; i < chunks.length; i++) {
        const err = r.errors[`op_u${i}`];
        if (err) throw new Error(`user.get failed: ${err.error} ${err.error_description}`);
        const rows = r.results[`op_u${i}`];
        for (const row of Array.isArray(rows) ? rows : Object.values(rows ?? {})) {
          const u = parseUserRow(row);
          if (u) users.set(u.id, u);
        }
      }
      const im = new Map<number, any>();
      for (let i = 0; i < chunks.length; i++) {
        for (const [id, item] of imUsers(r.results[`op_i${i}`])) im.set(id, item);
      }
      if (timeman && list.length > 0) {
        const errs = list.map((id) => r.errors[`op_t${id}`]).filter(Boolean);
        if (
          errs.length === list.length &&
          errs.every((e) => SCOPE_ERRORS.test(`${e.error} ${e.error_description}`))
        ) {
          c.timeman = false;
          this.o.log?.info(
            { memberId },
            'timeman.status is not available on this portal; workdays are not checked',
          );
        }
      }
      for (const id of list) {
        const u = users.get(id);
        if (!u) {
          c.entries.set(id, { missing: true, fetchedAt });
          continue;
        }
        const imItem = im.get(id);
        const tm = timeman ? r.results[`op_t${id}`] : undefined;
        c.entries.set(id, {
          id,
          name: u.name,
          active: u.active,
          online: u.online ?? String(imItem?.status ?? '') === 'online',
          workday: tm === undefined ? null : parseWorkday(tm),
          absentUntil: parseAbsent(imItem?.absent),
          departments: u.departments.length > 0 ? u.departments : departmentsOf(imItem),
          timeZone: u.timeZone,
          fetchedAt,
        });
      }
      this.snapshot?.persist(memberId, c, list);
    };
    return { calls, ingest };
  }

  private async fetch(memberId: string, _c: PortalCache, client: PortalClient, ids: number[]): Promise<void> {
    const plan = this.refreshPlan(memberId, ids);
    plan.ingest(await client.batch(plan.calls));
  }

  private async fetchDepartments(c: PortalCache, client: PortalClient, roots: number[], fresh: boolean) {
    const now = this.clock();
    if (fresh || !c.tree || now - c.tree.fetchedAt >= this.departmentTtlMs) {
      const rows = await client.listAll<any>('department.get', {});
      const parents = new Map<number, number | null>();
      for (const row of rows) {
        const id = toInt(row?.ID);
        if (id !== null) parents.set(id, toInt(row?.PARENT));
      }
      c.tree = { parents, fetchedAt: now };
    }
    const tree = c.tree.parents;
    const subtree = new Map<number, Set<number>>();
    const all = new Set<number>();
    for (const root of roots) {
      const ids = new Set([root]);
      // Breadth-first over the parent links; the tree is small (departments, not users).
      let grew = true;
      while (grew) {
        grew = false;
        for (const [id, parent] of tree) {
          if (parent !== null && ids.has(parent) && !ids.has(id)) {
            ids.add(id);
            grew = true;
          }
        }
      }
      subtree.set(root, ids);
      for (const id of ids) all.add(id);
    }
    const rows = await client.listAll<any>('user.get', {
      FILTER: { UF_DEPARTMENT: [...all], ACTIVE: true },
    });
    const members = rows.map(parseUserRow).filter((u): u is UserRow => u?.active === true);
    for (const root of roots) {
      const ids = subtree.get(root)!;
      const userIds = members
        .filter((u) => u.departments.some((d) => ids.has(d)))
        .map((u) => u.id)
        .sort((a, b) => a - b);
      c.departments.set(root, { userIds: [...new Set(userIds)], fetchedAt: now });
    }
  }
}

function departmentsOf(imItem: any): number[] {
  const d = imItem?.departments;
  const arr = Array.isArray(d) ? d : d && typeof d === 'object' ? Object.values(d) : [];
  return arr.map(toInt).filter((x): x is number => x !== null && x > 0);
}
