import type { Response } from 'express';
import type { z } from 'zod';
import { SCHEMA_MESSAGES } from '../../engine/index.ts';
import { ABSENCE_MESSAGES } from '../../settings/absences.ts';
import { DEAL_MESSAGES } from '../../settings/deals.ts';
import { LINE_QUOTA_MESSAGES } from '../../settings/line-quota.ts';
import { SPEED_MESSAGES } from '../../settings/speed.ts';

/** English text → the key the page translates it by. */
const KEY_OF = new Map<string, string>(
  [
    ...Object.entries(SCHEMA_MESSAGES),
    ...Object.entries(SPEED_MESSAGES),
    ...Object.entries(DEAL_MESSAGES),
    ...Object.entries(LINE_QUOTA_MESSAGES),
    ...Object.entries(ABSENCE_MESSAGES),
  ].map(([k, v]) => [v, k]),
);

export interface FieldError {
  /** dotted path into the submitted object, e.g. `rules.queue.0.weight`; '' for the whole value */
  path: string;
  /** the schema's own words (English) */
  message: string;
  /** zod's issue code, so the page can say it in the viewer's language */
  code: string;
  /** for the schemas' own checks (SCHEMA_MESSAGES): the page's translation key */
  key?: string;
  /** too_small / too_big: the bound, and what it bounds (number, string, array) */
  limit?: number;
  origin?: string;
}

export function fieldErrors(err: z.ZodError, prefix = ''): FieldError[] {
  return err.issues.map((i) => {
    const out: FieldError = {
      path: [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.'),
      message: i.message,
      code: i.code,
    };
    const key = KEY_OF.get(i.message);
    if (key) out.key = key;
    if (i.code === 'too_small' || i.code === 'too_big') {
      out.limit = Number(i.code === 'too_small' ? i.minimum : i.maximum);
      out.origin = String(i.origin);
    }
    return out;
  });
}

/** The one answer for any rejected settings value: 400 with every offending field and why. */
export function sendInvalid(res: Response, fields: FieldError[]): void {
  res.status(400).json({ error: 'invalid_settings', fields });
}

/** Flattens two JSON values into the leaf paths that differ, for the change log. */
export function diffPaths(
  before: unknown,
  after: unknown,
  max = 40,
): { path: string; from: unknown; to: unknown }[] {
  const out: { path: string; from: unknown; to: unknown }[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (out.length >= max) return;
    const objA = a !== null && typeof a === 'object';
    const objB = b !== null && typeof b === 'object';
    if (objA && objB && Array.isArray(a) === Array.isArray(b)) {
      const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
      for (const k of keys) walk((a as any)[k], (b as any)[k], path ? `${path}.${k}` : k);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push({ path, from: a ?? null, to: b ?? null });
  };
  walk(before, after, '');
  return out;
}
