import type { DialogRepository } from '../db/repositories/dialogs.ts';
import type { QueueStateRepository } from '../db/repositories/queue-state.ts';
import type { QuotaLedgerRepository } from '../db/repositories/quota-ledger.ts';
import type { StoreVersionRepository } from '../db/repositories/store-versions.ts';
import type { Queryable, Store } from '../db/store.ts';
import {
  type Decision,
  Dispatcher,
  type Item,
  type OpenLoad,
  type OperatorState,
  returnOffsets,
} from '../engine/index.ts';
import { type LineQuota, quotaKeyOf, recordRoom, refreshRoom } from './line-quota.ts';

/** What a decision made in a queue's turn may do with the index's dispatcher. */
export interface Turn {
  /** commits an assignment to the index; its bookkeeping is written with the turn */
  commit(d: Decision): void;
  /** an assignment the dispatcher already counted (Dispatcher.drain): only its bookkeeping */
  committed(d: Decision): void;
}

/** The part of a line's index a turn reads and replaces (queue-index.ts's LineIndex). */
export interface TurnIndex {
  memberId: string;
  lineId: number;
  queueId: string;
  dispatcher: Dispatcher;
  /** the queue's order version (store_versions 'order:<member>:<queue>') the dispatcher reflects */
  orderVersion: number;
  /** the line's quota on dialogs (line-quota.ts); absent = none */
  quota?: LineQuota;
}

export interface TurnDeps {
  db: Store;
  versions: StoreVersionRepository;
  queueState: QueueStateRepository;
  dialogs: DialogRepository;
  /** the quotas' counts (line-quota.ts); absent = quotas are not applied */
  ledger?: QuotaLedgerRepository;
  clock: () => number;
}

export const orderVersionName = (memberId: string, queueId: string) => `order:${memberId}:${queueId}`;

const NO_LOAD: OpenLoad = { notAnswered: 0, clientLast: 0, operatorLast: 0 };

/**
 * A queue's turn: the one place where open-line decisions meet the order state every process
 * shares (last assignment per operator, weighted credits, loads). Inside one transaction that
 * holds the queue's lock in every process of every instance (an advisory lock on PostgreSQL,
 * SQLite's single writer): read the queue's order version; if another process decided on this
 * queue since the index last looked, take its order state from the store; decide (synchronous,
 * on the index); write the stamps and credits of the assignments and move the version on.
 * Two instances deciding on one queue therefore take turns on one order, as one would.
 *
 * With a quota on the line, each operator's count this period is read from the store in the
 * turn too, and every assignment the turn makes is counted in it before the lock goes
 * (line-quota.ts): `items` name the dialogs decided on (their sessions).
 *
 * Only the decision itself is inside: what it needs from the portal (CRM links…) is read
 * before, and carrying it out happens after, so a turn lasts a few statements.
 */
export async function takeTurn<T>(
  d: TurnDeps,
  idx: TurnIndex,
  decide: (dispatcher: Dispatcher, turn: Turn) => T,
  onCounted: () => void,
  items: readonly Item[] = [],
): Promise<T> {
  const name = orderVersionName(idx.memberId, idx.queueId);
  return d.db.transaction(
    async (tx) => {
      const version = (await d.versions.read([name], tx)).get(name) ?? 0;
      if (version !== idx.orderVersion) await reload(d, idx, tx, version);
      const quota = d.ledger && idx.quota;
      if (quota)
        await refreshRoom(d.ledger!, tx, idx.memberId, idx.queueId, idx.dispatcher, quota, d.clock());
      const stamps = new Map<number, number>();
      const given: { key: string; operatorId: number }[] = [];
      const named = new Map(items.map((i) => [i.id, i]));
      const note = (x: Decision) => {
        if (x.action !== 'assign') return;
        stamps.set(x.operatorId, Math.max(stamps.get(x.operatorId) ?? 0, x.stamp));
        const item = named.get(x.itemId);
        given.push({ key: item ? quotaKeyOf(item) : String(x.itemId), operatorId: x.operatorId });
      };
      const out = decide(idx.dispatcher, {
        commit(x) {
          if (x.action !== 'assign') return;
          idx.dispatcher.commit(x);
          note(x);
        },
        committed: note,
      });
      if (stamps.size > 0) {
        // From here the index counts assignments the store holds only once this commits.
        onCounted();
        const weighted = idx.dispatcher.rules.mode === 'weighted';
        await d.queueState.recordTurn(
          tx,
          idx.memberId,
          idx.queueId,
          stamps,
          weighted ? idx.dispatcher.credits() : undefined,
        );
        idx.orderVersion = await d.versions.bump(name, tx);
        if (quota) await recordRoom(tx, idx.memberId, idx.queueId, given, d.clock());
      }
      return out;
    },
    // The lock's name is the version's: one queue, one turn at a time everywhere. A power cut
    // that loses the last turn's bookkeeping costs a little evenness, never a dialog.
    { lock: name, unsynced: true },
  );
}

/**
 * The index's dispatcher rebuilt on the order state the store holds: stamps and credits as
 * written by every process; loads from the register, never below what this index counts
 * (its own decisions may not be in the register yet: counting one twice for a moment
 * under-assigns, missing one could go over a limit).
 */
async function reload(d: TurnDeps, idx: TurnIndex, tx: Queryable, version: number): Promise<void> {
  const queue = await d.queueState.get(idx.memberId, idx.queueId, tx);
  const loads = await d.dialogs.loads(idx.memberId, idx.lineId, tx);
  const states: OperatorState[] = idx.dispatcher.states().map(({ loadOffset: _, ...st }) => {
    const q = queue.get(st.id);
    const stored = loads.get(st.id) ?? NO_LOAD;
    const mine = { ...NO_LOAD, ...st.load };
    return {
      ...st,
      lastAssignedAt: q?.lastAssignedAt ?? st.lastAssignedAt ?? null,
      credit: q?.credit ?? 0,
      load: {
        notAnswered: Math.max(stored.notAnswered, mine.notAnswered),
        clientLast: Math.max(stored.clientLast, mine.clientLast),
        operatorLast: Math.max(stored.operatorLast, mine.operatorLast),
      },
    };
  });
  const rules = idx.dispatcher.rules;
  const now = d.clock();
  // As when the index is built: someone back from an absence takes their turn with the others.
  const overflow = idx.dispatcher.overflowId;
  idx.dispatcher = new Dispatcher(rules, returnOffsets(states, rules, now), now);
  idx.dispatcher.setOverflow(overflow);
  idx.orderVersion = version;
}
