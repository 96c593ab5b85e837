import type { OpenLoad, OperatorState } from '../engine/index.ts';
import type { QueueOperatorState } from '../db/repositories/queue-state.ts';
import type { OperatorSettings } from '../settings/schema.ts';

/** An operator's settings as the engine needs them (the absence fields may be left out). */
export type OperatorStateSettings = Omit<OperatorSettings, 'deputyId' | 'absences'> &
  Partial<Pick<OperatorSettings, 'deputyId' | 'absences'>>;
import type { OperatorInfo } from './types.ts';

export interface OperatorStateInputs {
  /** the app's own per-operator settings (schedule, manual pause), scope 'operators' */
  settings?: OperatorStateSettings;
  /** the queue's persisted state for this operator (ctx.queueState) */
  queue?: QueueOperatorState;
  /** open items counted for this queue, by who wrote last */
  load?: Partial<OpenLoad>;
}

/**
 * The engine's view of one operator in one queue: what the portal says about them (directory
 * entry), what the app's settings add (schedule, pause), and the queue's own bookkeeping (last
 * assignment, weighted credit, counted load). No entry → undefined, which the engine reports as
 * `unknown` and never assigns to.
 */
export function toOperatorState(
  info: OperatorInfo | undefined,
  inputs: OperatorStateInputs = {},
): OperatorState | undefined {
  if (!info) return undefined;
  const s = inputs.settings;
  return {
    id: info.id,
    active: info.active,
    online: info.online,
    workday: info.workday,
    absentUntil: info.absentUntil,
    paused: s?.paused === true && s.pausedUntil == null,
    pausedUntil: s?.paused ? (s.pausedUntil ?? null) : null,
    // Absences entered in the app and the portal's as the app saw them (settings/service.ts adds those).
    absences: (s?.absences ?? []).map((a) => ({ from: a.from, to: a.to })),
    schedule: s?.schedule ?? null,
    load: { notAnswered: 0, clientLast: 0, operatorLast: 0, ...inputs.load },
    lastAssignedAt: inputs.queue?.lastAssignedAt ?? null,
    credit: inputs.queue?.credit ?? 0,
  };
}

/** toOperatorState for many operators at once; operators without a directory entry are left out. */
export function toOperatorStates(
  ids: Iterable<number>,
  infos: ReadonlyMap<number, OperatorInfo>,
  o: {
    settings?: Record<string, OperatorStateSettings>;
    queue?: ReadonlyMap<number, QueueOperatorState>;
    loads?: ReadonlyMap<number, Partial<OpenLoad>>;
  } = {},
): OperatorState[] {
  const out: OperatorState[] = [];
  for (const id of new Set(ids)) {
    const st = toOperatorState(infos.get(id), {
      settings: o.settings?.[String(id)],
      queue: o.queue?.get(id),
      load: o.loads?.get(id),
    });
    if (st) out.push(st);
  }
  return out;
}
