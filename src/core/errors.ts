/**
 * The one error type users see. `message` says what failed and names the input;
 * `hint` says what to do about it. Both are shown by the CLI and the extension,
 * so neither may ever contain a secret.
 */
export class PgOpsError extends Error {
  readonly hint?: string;
  readonly code: string;

  constructor(code: string, message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PgOpsError';
    this.code = code;
    this.hint = hint;
  }

  static is(err: unknown, code?: string): err is PgOpsError {
    return err instanceof PgOpsError && (code === undefined || err.code === code);
  }
}

/** Raised when an AbortSignal stops work; callers treat it as "the user said stop", not as a failure. */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }

  static is(err: unknown): err is CancelledError {
    return err instanceof CancelledError;
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/** One line for a log or a status message: message plus hint when there is one. */
export function describeError(err: unknown): string {
  if (PgOpsError.is(err)) return err.hint ? `${err.message} — ${err.hint}` : err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}
