import assert from 'node:assert/strict';
import {
  type Decision,
  type Item,
  type OperatorState,
  type QueueRules,
  type QueueRulesInput,
  queueRulesSchema,
} from '../../../src/engine/index.ts';

/** Monday 2 June 2025, 09:00 UTC (12:00 in Moscow). */
export const T0 = Date.UTC(2025, 5, 2, 9, 0);
export const MIN = 60_000;
export const HOUR = 60 * MIN;

export function rules(input: QueueRulesInput = {}): QueueRules {
  return queueRulesSchema.parse(input);
}

/** Rules whose queue is `ids` in that order, unless `input` brings its own queue (with per-operator settings). */
export function queueOf(ids: number[], input: QueueRulesInput = {}): QueueRules {
  return rules({ queue: ids.map((id) => ({ id })), ...input });
}

/** An available operator, never assigned before, no load. */
export function op(id: number, over: Partial<OperatorState> = {}): OperatorState {
  return { id, active: true, online: true, lastAssignedAt: null, ...over };
}

export function item(id: string | number = 'i1', over: Partial<Item> = {}): Item {
  return { id, kind: 'dialog', ...over };
}

export function assigned(d: Decision): number | null {
  return d.action === 'assign' ? d.operatorId : null;
}

/** Asserts that every key present in `expected` matches `actual` (recursively); other keys are ignored. */
export function like(actual: unknown, expected: unknown, path = '$'): void {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    assert.ok(
      actual !== null && typeof actual === 'object',
      `${path}: expected an object, got ${JSON.stringify(actual)}`,
    );
    for (const [k, v] of Object.entries(expected))
      like((actual as Record<string, unknown>)[k], v, `${path}.${k}`);
    return;
  }
  assert.deepEqual(actual, expected, `${path}`);
}
