import qs from 'qs';
import type { Hit } from '../portal-core.ts';
import type { Caller, MethodResult } from './context.ts';
import { asBool, type Params, phpArray, pick } from './params.ts';
import { normalizeMethod, type RestPipeline } from './pipeline.ts';
import { SystemErrors } from './rest-error.ts';

export const BATCH_MAX = 50;

export const QS_OPTIONS = { depth: 20, arrayLimit: 1000, parameterLimit: 100_000 } as const;

interface Collected {
  result: Array<[string, unknown]>;
  error: Array<[string, unknown]>;
  total: Array<[string, unknown]>;
  next: Array<[string, unknown]>;
  time: Array<[string, unknown]>;
}

/**
 * `batch` (settings/how-to-call-rest-api/batch.md): up to 50 "method?query" commands run in
 * order, later ones may reference earlier results with `$result[key][field]…`; always HTTP 200,
 * failures land in result_error; `halt` stops at the first failure.
 */
export function runBatch(pipeline: RestPipeline, params: Params, caller: Caller, hit: Hit): MethodResult {
  const cmd = pick(params, 'cmd');
  const halt = asBool(pick(params, 'halt'), false);
  const commands: Array<[string, string]> = Array.isArray(cmd)
    ? cmd.map((c, i) => [String(i), String(c)])
    : cmd && typeof cmd === 'object'
      ? Object.entries(cmd as Record<string, unknown>).map(([k, v]) => [k, String(v)])
      : [];
  if (commands.length > BATCH_MAX) throw SystemErrors.batchLength();

  const got: Collected = { result: [], error: [], total: [], next: [], time: [] };
  const lookup = {
    result: got.result,
    result_error: got.error,
    result_total: got.total,
    result_next: got.next,
    result_time: got.time,
  };

  for (const [key, command] of commands) {
    const q = command.indexOf('?');
    const rawMethod = q < 0 ? command : command.slice(0, q);
    const query = q < 0 ? '' : command.slice(q + 1);
    const method = normalizeMethod(rawMethod);
    const subParams = substitute(qs.parse(query, QS_OPTIONS) as Params, lookup) as Params;
    subParams.auth = caller.token;
    if (method === 'batch') {
      const err = SystemErrors.batchNotAllowed();
      pipeline.record({
        method,
        params: stripAuthCopy(subParams),
        viaBatch: true,
        at: pipeline.now(),
        status: err.status,
        error: err.code,
        userId: caller.userId,
      });
      got.error.push([key, err.toBody()]);
      if (halt) break;
      continue;
    }
    const outcome = pipeline.execute(method, subParams, caller, hit, true);
    if ('error' in outcome) {
      got.error.push([key, outcome.error.toBody()]);
      if (halt) break;
      continue;
    }
    got.result.push([key, outcome.ok.result]);
    if (outcome.ok.total !== undefined) got.total.push([key, outcome.ok.total]);
    if (outcome.ok.next !== undefined) got.next.push([key, outcome.ok.next]);
    got.time.push([key, outcome.time]);
  }

  return {
    result: {
      result: phpArray(got.result),
      result_error: phpArray(got.error),
      result_total: phpArray(got.total),
      result_next: phpArray(got.next),
      result_time: phpArray(got.time),
    },
  };
}

function stripAuthCopy(p: Params): Params {
  const { auth: _a, ...rest } = p;
  return rest;
}

const REF = /\$(result_error|result_total|result_next|result_time|result)\[([^\]]*)\]((?:\[[^\]]*\])*)/g;

function resolveRef(
  lookup: Record<string, Array<[string, unknown]>>,
  bucket: string,
  key: string,
  path: string,
): unknown {
  let v: unknown = lookup[bucket]?.find(([k]) => k === key)?.[1];
  for (const m of path.matchAll(/\[([^\]]*)\]/g)) {
    if (v === null || v === undefined) return undefined;
    v = (v as Record<string, unknown>)[m[1]];
  }
  return v;
}

/** Replaces `$result[key][field]…` references in parameter values with earlier answers. */
function substitute(value: unknown, lookup: Record<string, Array<[string, unknown]>>): unknown {
  if (typeof value === 'string') {
    const whole = new RegExp(`^${REF.source}$`).exec(value);
    if (whole) {
      const v = resolveRef(lookup, whole[1], whole[2], whole[3]);
      return v === undefined ? '' : v;
    }
    return value.replace(REF, (_m, bucket: string, key: string, path: string) => {
      const v = resolveRef(lookup, bucket, key, path);
      return v === undefined || v === null || typeof v === 'object' ? '' : String(v);
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, lookup));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, lookup)]));
  }
  return value;
}
