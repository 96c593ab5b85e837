import { Dispatcher } from './dispatcher.ts';
import type { QueueRules } from './schema.ts';
import type { Decision, Item, OperatorState } from './types.ts';

export interface DrainResult {
  /** Assignments (or portal hand-overs) in the order they were made. */
  decisions: Decision[];
  /** Items that still wait, in waiting-queue order. */
  waiting: Item[];
  /** Weighted mode: every member's credit after the drain, to persist. */
  credits?: Record<number, number>;
}

/**
 * Hands waiting items to whoever can take them now, in priority then arrival order, as many as
 * capacity allows; each assignment counts toward the next (load, last assignment, credit).
 */
export function drainWaiting(
  rules: QueueRules,
  operators: readonly OperatorState[],
  waiting: readonly Item[],
  now: number,
): DrainResult {
  const index = new Dispatcher(rules, operators, now);
  const result: DrainResult = index.drain(waiting, now);
  if (rules.mode === 'weighted') result.credits = index.credits();
  return result;
}

/**
 * What-if: where the next `n` plain items would go if they all arrived at `now`, each
 * assignment counting toward the next. Items that nobody could take show as 'wait'.
 */
export function previewNext(
  rules: QueueRules,
  operators: readonly OperatorState[],
  n: number,
  now: number,
  template: Partial<Item> = {},
): Decision[] {
  const index = new Dispatcher(rules, operators, now);
  const out: Decision[] = [];
  for (let i = 0; i < n; i++) {
    out.push(index.assign({ kind: 'dialog', ...template, id: `preview-${i + 1}` }, now));
  }
  return out;
}
