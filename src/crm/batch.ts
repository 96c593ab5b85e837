import qs from 'qs';
import { ErrorCode, PortalError } from '../errors.ts';
import type { BatchResult, Call, PortalClient } from '../portal/client.ts';

type CommandError = { error: string; error_description: string };

/**
 * A batch that stops at the first failing command (`halt=1`, reference §6.3), for writes that
 * only make sense together: the comment "assigned to X" must not be written if the update
 * that assigns X failed. (Chaining the comment on `$result[update]…` instead is not safe: for
 * a path it cannot resolve, Bitrix substitutes the nearest structure it did find.) Commands
 * are encoded the way PortalClient.batch encodes them; at most 50.
 */
export async function haltingBatch(
  client: PortalClient,
  calls: Record<string, Call>,
  /** false: every command runs whatever the others do (writes that stand on their own) */
  halt = true,
): Promise<BatchResult> {
  const cmd: Record<string, string> = {};
  for (const [label, [method, params]] of Object.entries(calls)) {
    cmd[label] = `${method}?${qs.stringify(params ?? {}, { encodeValuesOnly: false })}`;
  }
  // Writes: never resent by the transport after a lost answer (the lead's recovery reads back).
  const r = await client.callOnce<any>('batch', { halt: halt ? 1 : 0, cmd });
  const errors: BatchResult['errors'] = {};
  for (const [label, e] of Object.entries(plain(r?.result_error))) {
    errors[label] =
      typeof e === 'string'
        ? { error: e, error_description: e }
        : { error: String(e?.error), error_description: String(e?.error_description ?? '') };
  }
  return { results: plain(r?.result), errors };
}

function plain(v: unknown): Record<string, any> {
  if (!v) return {};
  if (Array.isArray(v)) return Object.fromEntries(v.map((x, i) => [String(i), x]));
  return v as Record<string, any>;
}

/** One failed batch command as the PortalError a direct call would have thrown, so the worker retries only what may pass later. */
export function commandError(method: string, e: CommandError): PortalError {
  const code = String(e.error);
  if (code === 'QUERY_LIMIT_EXCEEDED' || code === 'OPERATION_TIME_LIMIT') {
    return new PortalError(ErrorCode.RateLimited, code, e.error_description || code, 429, method);
  }
  if (isNotFound(e))
    return new PortalError(ErrorCode.NotFound, code, e.error_description || code, 404, method);
  const server = /^(INTERNAL_SERVER_ERROR|ERROR_UNEXPECTED_ANSWER)$/.test(code);
  return new PortalError(
    ErrorCode.PortalError,
    code,
    e.error_description || code,
    server ? 500 : 400,
    method,
  );
}

/** The CRM object is not there (deleted): crm.item.get/update answer NOT_FOUND "Element not found". */
export function isNotFound(e: CommandError | undefined): boolean {
  return !!e && (e.error === 'NOT_FOUND' || e.error === 'ERROR_ENTITY_NOT_FOUND');
}
