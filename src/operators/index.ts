/**
 * Operator state for every part of the app (open lines, leads): the directory of staff and
 * their availability (`ctx.services.operators`, see `operatorDirectory(ctx)`), department
 * expansion, and the step from a directory entry plus the app's settings and queue bookkeeping
 * to the engine's OperatorState.
 *
 *   const dir = operatorDirectory(ctx);
 *   const infos = await dir.get(memberId, client, queueIds);           // batched, cached ~60 s
 *   const states = toOperatorStates(queueIds, infos, { settings, queue, loads });
 */
import type { AppContext } from '../app-context.ts';
import { OperatorSnapshotRepository } from '../db/repositories/operator-snapshots.ts';
import { StoreVersionRepository } from '../db/repositories/store-versions.ts';
import { OperatorDirectory, type OperatorDirectoryOptions } from './directory.ts';

export { OperatorDirectory, type OperatorDirectoryOptions, type RefreshPlan } from './directory.ts';
export { type OperatorStateInputs, toOperatorState, toOperatorStates } from './state.ts';
export type { GetOptions, OperatorInfo } from './types.ts';

/**
 * The context's shared directory (ctx.services.operators), created on first use so that a
 * feature can rely on it whichever feature loads first. It mirrors its reads in the store's
 * snapshot and takes in other processes' reads whenever ctx.watch sees the snapshot move.
 */
export function operatorDirectory(
  ctx: Pick<AppContext, 'services' | 'clock' | 'log'> &
    Partial<Pick<AppContext, 'db' | 'watch' | 'lifecycle'>>,
  o: Omit<OperatorDirectoryOptions, 'clock' | 'log'> = {},
): OperatorDirectory {
  const existing = ctx.services.operators;
  if (existing instanceof OperatorDirectory) return existing;
  const snapshots = ctx.db
    ? new OperatorSnapshotRepository(ctx.db, new StoreVersionRepository(ctx.db))
    : undefined;
  const dir = new OperatorDirectory({ clock: ctx.clock, log: ctx.log, snapshots, watch: ctx.watch, ...o });
  ctx.watch?.on('operators', (memberId, version) => dir.catchUp(memberId, version).then(() => undefined));
  // What this process read goes into the store before it stops (a CLI job's sync above all).
  ctx.lifecycle?.stop.push(() => dir.saved());
  ctx.services.operators = dir;
  return dir;
}
