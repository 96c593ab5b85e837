/**
 * One error base with stable codes. Portal errors keep Bitrix24's own `error` code so callers
 * can branch on it (e.g. OPERATOR_WRONG) while the app branches on `code`.
 */
export const ErrorCode = {
  AuthLost: 'auth_lost', // tokens can't be refreshed: the portal must reinstall
  RateLimited: 'rate_limited', // 503 QUERY_LIMIT_EXCEEDED / 429 OPERATION_TIME_LIMIT that outlived retries
  PortalError: 'portal_error', // any other REST error
  NotFound: 'not_found', // the object or the installation does not exist
  InvalidInput: 'invalid_input',
  Unauthorized: 'unauthorized',
  Forbidden: 'forbidden',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly httpStatus = 500,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** An error answered by a portal; `b24Error` is Bitrix24's `error` field, `status` its HTTP status. */
export class PortalError extends AppError {
  constructor(
    code: ErrorCode,
    readonly b24Error: string,
    message: string,
    readonly status: number,
    readonly method?: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, 502, options);
  }
  /** Worth another try later: rate limits, server errors, network failures. */
  get retryable(): boolean {
    return this.code === ErrorCode.RateLimited || this.status === 0 || this.status >= 500;
  }
}

export class InstallationNotFoundError extends AppError {
  constructor(memberId: string) {
    super(ErrorCode.NotFound, `no active installation for portal ${memberId}`, 404);
  }
}

/**
 * Not a failure: the event can't be handled well yet (e.g. a lead whose dialog is still being
 * placed). The worker runs it again after `retryAfterMs`, without logging it as a failure and
 * without counting the attempt: the handler bounds how long it defers, not the retry budget.
 */
export class RetryLaterError extends AppError {
  constructor(
    message: string,
    readonly retryAfterMs = 1000,
  ) {
    super(ErrorCode.PortalError, message, 503);
  }
}
