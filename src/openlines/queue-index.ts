import type { DialogRepository } from '../db/repositories/dialogs.ts';
import type { OperatorRefusalRepository } from '../db/repositories/operator-refusals.ts';
import type { QueueStateRepository } from '../db/repositories/queue-state.ts';
import type { QuotaLedgerRepository } from '../db/repositories/quota-ledger.ts';
import type { StoreVersionRepository } from '../db/repositories/store-versions.ts';
import type { Store } from '../db/store.ts';
import {
  type Decision,
  Dispatcher,
  type Item,
  type OperatorState,
  type QueueRules,
  returnOffsets,
} from '../engine/index.ts';
import type { Logger } from '../log/logger.ts';
import { type OperatorDirectory, toOperatorState, toOperatorStates } from '../operators/index.ts';
import type { PortalClient } from '../portal/client.ts';
import type { SettingsService } from '../settings/service.ts';
import type { LineSettings } from '../settings/schema.ts';
import { dialogRef, type LineQuota, lineQuotaOf, overflowPerson } from './line-quota.ts';
import { type LineDirectory, type LineInfo, rulesFor } from './lines.ts';
import { orderVersionName, type Turn, takeTurn } from './queue-turn.ts';

export function queueId(lineId: number): string {
  return `line:${lineId}`;
}

/** One line's live queue: its rules and the engine's index over its operators. */
export interface LineIndex {
  memberId: string;
  lineId: number;
  /** the queue's name in the bookkeeping (queue_state) and the order version */
  queueId: string;
  line: LineInfo;
  rules: QueueRules;
  /** the app's settings for the line as the index was built (its first-message deadline: lines.ts) */
  settings: LineSettings;
  /** replaced when a turn takes another process's order state in (queue-turn.ts) */
  dispatcher: Dispatcher;
  /** the queue's order version the dispatcher reflects (queue-turn.ts) */
  orderVersion: number;
  /** the line's quota on dialogs (line-quota.ts); absent = none */
  quota?: LineQuota;
  builtAt: number;
}

interface Slot {
  index?: LineIndex;
  building?: Promise<LineIndex | undefined>;
  /** decisions committed to the index; a rebuild that raced one of them is thrown away */
  commits: number;
  invalid: boolean;
}

/**
 * The engine's index per line, built from the line's rules, the operator directory, the app's
 * per-operator settings, the queue's bookkeeping and the register's load, then kept current by
 * the decisions themselves (Dispatcher.commit). Decisions for a line are synchronous on the
 * index, so a burst of dialogs is spread fairly without a lock; the index is rebuilt when the
 * availability data ages out (the directory refreshes in the background meanwhile) or when
 * something outside the decisions changes (settings, line config, a correction by sync).
 */
export class QueueIndexes {
  private readonly slots = new Map<string, Slot>();

  constructor(
    private readonly o: {
      lines: LineDirectory;
      directory: OperatorDirectory;
      settings: SettingsService;
      queueState: QueueStateRepository;
      dialogs: DialogRepository;
      /** operators the portal refused as transfer targets (OPERATOR_WRONG), kept in the store */
      refusals: OperatorRefusalRepository;
      clock: () => number;
      log: Logger;
      /** brings the portal's caches up to the store's snapshots before a decision (snapshot-watch.ts) */
      watch?: { check(memberId: string): Promise<void> };
      /** the store the queue's turns lock and write in (queue-turn.ts) */
      db: Store;
      versions: StoreVersionRepository;
      /** the quotas' counts (line-quota.ts) and the portal's zone for their midnight */
      ledger?: QuotaLedgerRepository;
      portalZone?: (memberId: string, client: PortalClient) => Promise<string | number>;
    },
  ) {}

  /**
   * Decides on the line's index in the queue's turn (queue-turn.ts): under the queue's lock in
   * every process, on the order state the store holds now, writing the assignments' bookkeeping
   * before the lock goes. `decide` is synchronous and commits what will be carried out through
   * the turn it is given; `items` are the items it decides on (a quota counts them by name).
   */
  async decide<T>(
    idx: LineIndex,
    decide: (dispatcher: Dispatcher, turn: Turn) => T,
    items: readonly Item[] = [],
  ): Promise<T> {
    let counted = false;
    try {
      return await takeTurn(
        this.o,
        idx,
        decide,
        () => {
          counted = true;
          this.committed(idx.memberId, idx.lineId);
        },
        items,
      );
    } catch (err) {
      // The index counted assignments the store does not hold: it is built again.
      if (counted) this.invalidate(idx.memberId, idx.lineId);
      throw err;
    }
  }

  /** The line's index, current enough to decide with; undefined when the line is unknown. */
  async get(memberId: string, lineId: number, client: PortalClient): Promise<LineIndex | undefined> {
    // What another process (a CLI sync, another instance) stored since is taken in first.
    await this.o.watch?.check(memberId);
    const slot = this.slot(memberId, lineId);
    const idx = slot.index;
    if (idx && !slot.invalid && this.o.clock() - idx.builtAt < this.o.directory.ttlMs) return idx;
    if (!slot.building) {
      slot.building = this.build(memberId, lineId, client, slot).finally(() => {
        slot.building = undefined;
      });
    }
    return slot.building;
  }

  /** The line's index as it stands, without building or refreshing it. */
  peek(memberId: string, lineId: number): LineIndex | undefined {
    return this.slots.get(`${memberId}\u0000${lineId}`)?.index;
  }

  /** Records that a decision was committed to the index (see Slot.commits). */
  committed(memberId: string, lineId: number): void {
    this.slot(memberId, lineId).commits++;
  }

  /** The next get() rebuilds (all lines of the portal when lineId is omitted). */
  invalidate(memberId: string, lineId?: number): void {
    for (const [key, slot] of this.slots) {
      if (
        key === `${memberId}\u0000${lineId}` ||
        (lineId === undefined && key.startsWith(`${memberId}\u0000`))
      )
        slot.invalid = true;
    }
  }

  forget(memberId: string): void {
    for (const key of [...this.slots.keys()]) if (key.startsWith(`${memberId}\u0000`)) this.slots.delete(key);
  }

  /** Brings operators outside the queue (a CRM responsible) into the index, read like the members. */
  async ensureOperators(idx: LineIndex, client: PortalClient, ids: number[]): Promise<void> {
    const missing = ids.filter((id) => !idx.dispatcher.stateOf(id));
    if (missing.length === 0) return;
    const infos = await this.o.directory.get(idx.memberId, client, missing);
    const [settings, queue, loads, refused] = await Promise.all([
      this.o.settings.operators(idx.memberId),
      this.o.queueState.get(idx.memberId, queueId(idx.lineId)),
      this.o.dialogs.loads(idx.memberId, idx.lineId),
      this.o.refusals.active(idx.memberId, this.o.clock()),
    ]);
    const out = new Set(refused.map((r) => r.operatorId));
    for (const id of missing) {
      const st = toOperatorState(infos.get(id), {
        settings: settings[String(id)],
        queue: queue.get(id),
        load: loads.get(id),
      });
      // A CRM responsible the portal refused as a transfer target is left out the same way.
      if (st) idx.dispatcher.upsertOperator(out.has(id) ? { ...st, active: false } : st);
    }
  }

  /** Re-reads one operator's load on a line from the register (a dialog closed, was answered…). */
  async refreshLoads(memberId: string, lineId: number): Promise<void> {
    const idx = this.slots.get(`${memberId}\u0000${lineId}`)?.index;
    if (!idx) return;
    const commits = this.slot(memberId, lineId).commits;
    const loads = await this.o.dialogs.loads(memberId, lineId);
    if (this.slot(memberId, lineId).commits !== commits) return this.invalidate(memberId, lineId);
    for (const m of idx.dispatcher.rules.queue) {
      const st = idx.dispatcher.stateOf(m.id);
      if (st)
        idx.dispatcher.setLoad(m.id, loads.get(m.id) ?? { notAnswered: 0, clientLast: 0, operatorLast: 0 });
    }
  }

  /** One item decided in the queue's turn (decide above), its assignment committed. */
  decideOne(idx: LineIndex, item: Item, now: number): Promise<Decision> {
    return this.decide(
      idx,
      (dispatcher, turn) => {
        const x = dispatcher.decide(item, now);
        turn.commit(x);
        return x;
      },
      [item],
    );
  }

  /**
   * Another process read these users' availability (the directory took it in): each index of
   * the portal that knows them takes it in place; one being built is built again.
   */
  applyOperators(memberId: string, ids: readonly number[]): void {
    for (const [key, slot] of this.slots) {
      if (!key.startsWith(`${memberId}\u0000`)) continue;
      if (slot.building) slot.invalid = true;
      const idx = slot.index;
      if (!idx) continue;
      const infos = this.o.directory.peek(memberId, ids);
      for (const id of ids) {
        const st = idx.dispatcher.stateOf(id);
        if (!st) continue;
        const info = infos.get(id);
        idx.dispatcher.upsertOperator(
          info
            ? {
                ...st,
                active: info.active,
                online: info.online,
                workday: info.workday,
                absentUntil: info.absentUntil,
              }
            : { ...st, active: false },
        );
      }
    }
  }

  /**
   * A dialog given outside a turn (an absent person's to their deputy: the settings' choice, not
   * capped) still counts toward the receiver's quota on a line that has one, as a lead's does.
   */
  async count(idx: LineIndex, sessionId: number, operatorId: number, at: number): Promise<void> {
    if (!idx.quota || !this.o.ledger) return;
    await this.o.ledger.record({
      memberId: idx.memberId,
      kind: 'dialog',
      objectId: dialogRef(sessionId),
      operatorId,
      at,
      queueId: idx.queueId,
    });
  }

  /**
   * The dialog decided at `decidedAt` did not reach the operator (the portal refused the
   * transfer, or the register's row had moved on): it no longer counts toward their quota.
   */
  async uncount(memberId: string, sessionId: number, operatorId: number, decidedAt: number): Promise<void> {
    await this.o.ledger?.forget(memberId, 'dialog', dialogRef(sessionId), operatorId, decidedAt);
  }

  /** Takes an operator the portal refused out of this index until its next rebuild. */
  refuse(memberId: string, lineId: number, operatorId: number): void {
    const idx = this.slots.get(`${memberId}\u0000${lineId}`)?.index;
    const st = idx?.dispatcher.stateOf(operatorId);
    if (idx && st) idx.dispatcher.upsertOperator({ ...st, active: false });
  }

  /**
   * The portal said the operator is not available as a transfer target (OPERATOR_WRONG): out of
   * every line's decisions until `until`, through the store, so rebuilt indexes and other
   * processes leave them out too.
   */
  async refuseUntil(memberId: string, operatorId: number, until: number, error: string): Promise<void> {
    await this.o.refusals.refuse(memberId, { operatorId, until, error, at: this.o.clock() });
    for (const [key, slot] of this.slots) {
      const st = key.startsWith(`${memberId}\u0000`) ? slot.index?.dispatcher.stateOf(operatorId) : undefined;
      if (slot.index && st) slot.index.dispatcher.upsertOperator({ ...st, active: false });
    }
  }

  private slot(memberId: string, lineId: number): Slot {
    const key = `${memberId}\u0000${lineId}`;
    let s = this.slots.get(key);
    if (!s) {
      s = { commits: 0, invalid: false };
      this.slots.set(key, s);
    }
    return s;
  }

  private async build(
    memberId: string,
    lineId: number,
    client: PortalClient,
    slot: Slot,
  ): Promise<LineIndex | undefined> {
    for (let attempt = 0; ; attempt++) {
      const commits = slot.commits;
      slot.invalid = false;
      const line = await this.o.lines.get(memberId, lineId, client);
      if (!line) return undefined;
      const lineSettings = await this.o.settings.line(memberId, lineId);
      const rules = rulesFor(line, lineSettings);
      // The quota's overflow person is known to the index like a member (their state, their room).
      const overflow = this.o.ledger ? overflowPerson(lineSettings.quota) : null;
      const zone =
        lineSettings.quota.enabled && this.o.ledger
          ? (lineSettings.quota.timeZone ?? (await this.o.portalZone?.(memberId, client)) ?? 0)
          : 0;
      // Read before the order state: a turn elsewhere after this read makes the next one reload.
      const order = orderVersionName(memberId, queueId(lineId));
      const orderVersion = (await this.o.versions.read([order])).get(order) ?? 0;
      const [infos, settings, queue, loads, refused] = await Promise.all([
        this.operatorInfos(memberId, lineId, client, [
          ...rules.queue.map((m) => m.id),
          ...(overflow === null ? [] : [overflow]),
        ]),
        this.o.settings.operators(memberId),
        this.o.queueState.get(memberId, queueId(lineId)),
        this.o.dialogs.loads(memberId, lineId),
        this.o.refusals.active(memberId, this.o.clock()),
      ]);
      // Holders outside the queue still need their load known (a responsible, a former member).
      const ids = [
        ...rules.queue.map((m) => m.id),
        ...[...loads.keys(), ...(overflow === null ? [] : [overflow])].filter((id) => infos.has(id)),
      ];
      const now = this.o.clock();
      // Someone back from an absence takes their turn with the others (engine/returns.ts).
      // Refused as transfer targets by the portal: not chosen until the refusal ends.
      const out = new Set(refused.map((r) => r.operatorId));
      const states: OperatorState[] = returnOffsets(
        toOperatorStates(ids, infos, { settings, queue, loads }),
        rules,
        now,
      ).map((st) => (out.has(st.id) ? { ...st, active: false } : st));
      const idx: LineIndex = {
        memberId,
        lineId,
        queueId: queueId(lineId),
        line,
        rules,
        settings: lineSettings,
        dispatcher: new Dispatcher(rules, states, now),
        orderVersion,
        quota: this.o.ledger ? lineQuotaOf(lineSettings.quota, zone, settings) : undefined,
        builtAt: now,
      };
      idx.dispatcher.setOverflow(overflow);
      // A decision committed to the old index while this one read the database may be missing
      // from what it read: read again (bounded; the decision's rows are written in order).
      if (slot.commits !== commits && attempt < 3) continue;
      if (!slot.invalid || attempt >= 3) {
        slot.index = idx;
        return idx;
      }
    }
  }

  /**
   * The members' directory entries. Young entries are used as they are; older ones are used
   * while a refresh runs in the background (the index is rebuilt when it lands), so no dialog
   * waits for availability data except the very first on a portal.
   */
  private async operatorInfos(memberId: string, lineId: number, client: PortalClient, ids: number[]) {
    const dir = this.o.directory;
    if (dir.isFresh(memberId, ids)) return dir.peek(memberId, ids);
    const known = dir.peek(memberId, ids);
    if (known.size === 0 && ids.length > 0) return dir.get(memberId, client, ids);
    dir.get(memberId, client, ids).then(
      () => this.invalidate(memberId, lineId),
      (err) =>
        this.o.log.warn({ memberId, err: (err as Error).message }, 'background operator refresh failed'),
    );
    return known;
  }
}
