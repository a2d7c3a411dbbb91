/**
 * An error the user can act on: printed as one line, never as a stack trace.
 * exitCode 2 is a usage or set-up error, 1 a check that blocked.
 */
export class GuardError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
    this.name = 'GuardError';
  }
}

export class UsageError extends GuardError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
