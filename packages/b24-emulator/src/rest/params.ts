/** Reading REST parameters that arrive as JSON (typed) or form/query strings (all strings). */

export type Params = Record<string, unknown>;

/** Case-insensitive lookup: most methods upper-case their parameter keys before reading them. */
export function pick(params: Params, name: string): unknown {
  if (name in params) return params[name];
  const lower = name.toLowerCase();
  for (const k of Object.keys(params)) if (k.toLowerCase() === lower) return params[k];
  return undefined;
}

export function asInt(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number.parseInt(v, 10);
  return null;
}

export function asStr(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '';
}

/** Y/N, true/false, 1/0 in any of the forms the two body encodings produce. */
export function asBool(v: unknown, fallback = false): boolean {
  if (v === undefined || v === null || v === '') return fallback;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  const s = String(v).trim().toLowerCase();
  return s === 'y' || s === 'true' || s === '1';
}

export function asObject(v: unknown): Params {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Params) : Array.isArray(v) ? { ...v } : {};
}

/** A list given as a JSON array, a qs-parsed array, or a qs-parsed object with numeric keys. */
export function asList(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (v && typeof v === 'object') return Object.values(v as object);
  if (v === undefined || v === null || v === '') return [];
  return [v];
}

/**
 * PHP's json_encode of an array: `[]` when empty, a JSON array when keys are 0..n-1 in order,
 * otherwise an object. Batch and a few methods answer in this shape.
 */
export function phpArray(entries: Array<[string, unknown]>): unknown[] | Record<string, unknown> {
  if (entries.length === 0) return [];
  const sequential = entries.every(([k], i) => k === String(i));
  if (sequential) return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}
