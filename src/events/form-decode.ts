/** A body the intake cannot read: the status to answer and a message that says why. */
export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413 | 415,
    message: string,
  ) {
    super(message);
  }
}

export interface FormLimits {
  /** more pairs than this → 413, as body-parser answered before */
  maxParams: number;
  /** more bracket levels in one key than this → 400 */
  maxDepth: number;
}

const DEFAULT_LIMITS: FormLimits = { maxParams: 10_000, maxDepth: 16 };
/** keys that would reach Object.prototype through a plain object */
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Decodes an application/x-www-form-urlencoded body with bracketed keys, the way PHP reads
 * what its http_build_query wrote, which is what Bitrix24's event queue sends:
 * `data[FIELDS][ID]=5&auth[member_id]=abc` → `{ data: { FIELDS: { ID: '5' } }, auth: { member_id: 'abc' } }`.
 *
 * PHP's rules, not qs's, because the sender is PHP: a numeric segment is a key like any other
 * (`data[BOT][5][BOT_ID]` keeps the key '5', where qs turns it into index 0 of an array and the
 * bot's id is lost), `[]` appends to a list, and a key sent twice keeps its last value. Every
 * value is a string. Pairs whose key would reach Object.prototype are dropped.
 */
export function decodeForm(text: string, limits: FormLimits = DEFAULT_LIMITS): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let pairs = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('&', start);
    if (end < 0) end = text.length;
    if (end > start) {
      if (++pairs > limits.maxParams) {
        throw new BodyError(413, `too many parameters (more than ${limits.maxParams})`);
      }
      const eq = text.indexOf('=', start);
      const hasValue = eq >= 0 && eq < end;
      const key = decodePart(text.slice(start, hasValue ? eq : end));
      const value = hasValue ? decodePart(text.slice(eq + 1, end)) : '';
      assign(root, key, value, limits.maxDepth);
    }
    start = end + 1;
  }
  return root;
}

function decodePart(s: string): string {
  if (s.indexOf('%') < 0 && s.indexOf('+') < 0) return s;
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new BodyError(400, `malformed percent-encoding in "${s.slice(0, 40)}"`);
  }
}

/** `a[b][]` → ['a', 'b', '']; a key that is not base + whole bracket groups is taken literally. */
function splitKey(key: string, maxDepth: number): string[] {
  const open = key.indexOf('[');
  if (open <= 0) return [key];
  const path = [key.slice(0, open)];
  let i = open;
  while (i < key.length) {
    if (key[i] !== '[') return [key];
    const close = key.indexOf(']', i);
    if (close < 0) return [key];
    const seg = key.slice(i + 1, close);
    if (seg.includes('[')) return [key];
    path.push(seg);
    if (path.length - 1 > maxDepth) {
      throw new BodyError(400, `the key "${key.slice(0, 60)}" is nested deeper than ${maxDepth} levels`);
    }
    i = close + 1;
  }
  return path;
}

function assign(root: Record<string, unknown>, key: string, value: string, maxDepth: number): void {
  if (key === '') return;
  const path = splitKey(key, maxDepth);
  if (path.some((p) => FORBIDDEN.has(p))) return;
  // `holder[at]` is where `node` hangs, so a node can be replaced in place
  let holder: Record<string, unknown> | unknown[] = root;
  let at: string | number = path[0];
  let node: unknown = root;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    if (i > 0) {
      // the container for `seg`: a list when it appends, an object otherwise
      if (seg === '' && !Array.isArray(node)) node = put(holder, at, []);
      else if (seg !== '' && (node === null || typeof node !== 'object')) node = put(holder, at, {});
      else if (seg !== '' && Array.isArray(node)) node = put(holder, at, { ...node });
    }
    const parent = node as Record<string, unknown> | unknown[];
    if (Array.isArray(parent)) {
      // only '' reaches a list: append a slot
      parent.push(undefined);
      holder = parent;
      at = parent.length - 1;
    } else {
      holder = parent;
      at = seg;
    }
    node = (holder as Record<string | number, unknown>)[at];
  }
  (holder as Record<string | number, unknown>)[at] = value;
}

/** Replaces what hangs at `holder[at]` (a scalar sent earlier under the same name gives way, as in PHP). */
function put<T>(holder: Record<string, unknown> | unknown[], at: string | number, v: T): T {
  (holder as Record<string | number, unknown>)[at] = v;
  return v;
}
