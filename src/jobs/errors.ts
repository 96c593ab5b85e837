import { AppError, ErrorCode } from '../errors.ts';

/** A job name nobody registered; the message lists the ones that are. */
export class UnknownJobError extends AppError {
  constructor(
    readonly job: string,
    readonly valid: string[],
    known = false,
  ) {
    super(
      ErrorCode.InvalidInput,
      known
        ? `job "${job}" is not available in this build; valid jobs: ${valid.join(', ') || '(none)'}`
        : `unknown job "${job}"; valid jobs: ${valid.join(', ') || '(none)'}`,
      400,
    );
  }
}

/** `--portal` named a portal that is not installed, or was uninstalled. */
export class UnknownPortalError extends AppError {
  constructor(readonly memberId: string) {
    super(ErrorCode.InvalidInput, `portal "${memberId}" is not installed (or was uninstalled)`, 404);
  }
}
