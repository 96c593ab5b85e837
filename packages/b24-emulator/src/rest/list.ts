import { TOTAL_WHEN_START_IS_MINUS_ONE } from '../assumptions.ts';
import { restError } from './rest-error.ts';
import { asInt } from './params.ts';

export const PAGE_SIZE = 50;

export interface Page<T> {
  items: T[];
  total: number;
  next?: number;
}

/** Standard REST paging: 50 per page, `start` offset, `start=-1` skips the count. */
export function paginate<T>(all: T[], startParam: unknown): Page<T> {
  const start = asInt(startParam) ?? 0;
  if (start === -1) return { items: all.slice(0, PAGE_SIZE), total: TOTAL_WHEN_START_IS_MINUS_ONE };
  const from = Math.max(0, start);
  const items = all.slice(from, from + PAGE_SIZE);
  const page: Page<T> = { items, total: all.length };
  if (from + PAGE_SIZE < all.length) page.next = from + PAGE_SIZE;
  return page;
}

const OPS = ['!=%', '!%=', '>=', '<=', '!@', '=%', '%=', '!%', '!=', '@', '>', '<', '%', '=', '!'] as const;
export type FilterOp = (typeof OPS)[number];

export interface FilterCondition {
  op: FilterOp;
  field: string;
  value: unknown;
}

/** Splits `{">ID": 5, "!%NAME": "x"}` into conditions; the operator goes before the key. */
export function parseFilter(filter: Record<string, unknown>): FilterCondition[] {
  const out: FilterCondition[] = [];
  for (const [key, value] of Object.entries(filter)) {
    const op = OPS.find((o) => key.startsWith(o)) ?? '=';
    const field = key.startsWith(op) ? key.slice(op.length) : key;
    out.push({ op, field, value });
  }
  return out;
}

const numeric = (v: unknown) =>
  typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v.trim()));

function cmp(a: unknown, b: unknown): number {
  if (numeric(a) && numeric(b)) return Number(a) - Number(b);
  const sa = String(a ?? '');
  const sb = String(b ?? '');
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function eq(a: unknown, b: unknown): boolean {
  if (typeof a === 'boolean' || typeof b === 'boolean') return truthy(a) === truthy(b);
  return cmp(a, b) === 0;
}

function truthy(v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  const s = String(v ?? '').toLowerCase();
  return s === 'y' || s === 'true' || s === '1';
}

function like(hay: unknown, pattern: string, explicitWildcards: boolean): boolean {
  const h = String(hay ?? '').toLowerCase();
  const p = pattern.toLowerCase();
  if (!explicitWildcards) return h.includes(p);
  const rx = new RegExp(
    `^${p
      .split('%')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return rx.test(h);
}

const listOf = (v: unknown): unknown[] =>
  Array.isArray(v) ? v : v && typeof v === 'object' ? Object.values(v) : [v];

/**
 * Does one field value (or a multi-value field given as an array) satisfy a condition?
 * Multi-value fields match when any of their values matches.
 */
export function matches(actual: unknown, cond: FilterCondition): boolean {
  const values = Array.isArray(actual) ? actual : [actual];
  const any = (pred: (a: unknown) => boolean) => values.some(pred);
  const v = cond.value;
  switch (cond.op) {
    case '=':
      return Array.isArray(v) || (v && typeof v === 'object')
        ? any((a) => listOf(v).some((x) => eq(a, x)))
        : any((a) => eq(a, v));
    case '@':
      return any((a) => listOf(v).some((x) => eq(a, x)));
    case '!@':
      return !any((a) => listOf(v).some((x) => eq(a, x)));
    case '!':
    case '!=':
      return Array.isArray(v) ? !any((a) => v.some((x) => eq(a, x))) : !any((a) => eq(a, v));
    case '>':
      return any((a) => cmp(a, v) > 0);
    case '>=':
      return any((a) => cmp(a, v) >= 0);
    case '<':
      return any((a) => cmp(a, v) < 0);
    case '<=':
      return any((a) => cmp(a, v) <= 0);
    case '%':
      return any((a) => like(a, String(v), false));
    case '=%':
    case '%=':
      return any((a) => like(a, String(v), true));
    case '!%':
      return !any((a) => like(a, String(v), false));
    case '!=%':
    case '!%=':
      return !any((a) => like(a, String(v), true));
  }
}

/** Sorts by an `{FIELD: "ASC"|"DESC"}` order using an accessor; invalid directions are a 400. */
export function sortBy<T>(
  items: T[],
  order: Record<string, unknown>,
  get: (item: T, field: string) => unknown,
): T[] {
  const keys = Object.entries(order);
  for (const [field, dir] of keys) {
    const d = String(dir).toUpperCase();
    if (d !== 'ASC' && d !== 'DESC') {
      throw restError(
        400,
        'INVALID_ARG_VALUE',
        `Invalid order: allowed sort directions are ASC, DESC. But got '${dir}' for field '${field}'`,
      );
    }
  }
  return [...items].sort((a, b) => {
    for (const [field, dir] of keys) {
      const c = cmp(get(a, field), get(b, field));
      if (c !== 0) return String(dir).toUpperCase() === 'DESC' ? -c : c;
    }
    return 0;
  });
}
