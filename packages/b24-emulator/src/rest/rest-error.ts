/** A REST error answer: `{"error": code, "error_description": description}` with an HTTP status. */
export class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${status} ${code}: ${description}`);
    this.name = 'RestError';
  }

  toBody(): { error: string; error_description: string } {
    return { error: this.code, error_description: this.description };
  }
}

export const restError = (status: number, code: string, description: string) =>
  new RestError(status, code, description);

/** The system errors every method can give (docs: _includes/system-errors.md). */
export const SystemErrors = {
  noAuth: () => restError(401, 'NO_AUTH_FOUND', 'Wrong authorization data'),
  expired: () => restError(401, 'expired_token', 'The access token provided has expired'),
  insufficientScope: () =>
    restError(
      403,
      'insufficient_scope',
      'The request requires higher privileges than provided by the access token',
    ),
  queryLimit: () => restError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'),
  methodNotFound: () => restError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!'),
  internal: () => restError(500, 'INTERNAL_SERVER_ERROR', 'Internal server error'),
  batchNotAllowed: () =>
    restError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage'),
  batchLength: () => restError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded'),
  accessDenied: (description = 'Access denied!') => restError(403, 'ACCESS_DENIED', description),
};
