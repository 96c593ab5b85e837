import { ErrorCode, PortalError } from '../errors.ts';

type CommandError = { error: string; error_description: string };

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
