// Errors that are meant for people: one line, no stack trace. Anything else that
// escapes to the top level is a bug and is reported as such (still one line).

/** A failure whose message is complete and safe to show (never contains a secret). */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** The one error clients treat as "no credentials" (docker goes anonymous, podman "not logged in"). */
export class CredentialsNotFoundError extends UserError {
  constructor() {
    super('credentials not found in native keychain');
    this.name = 'CredentialsNotFoundError';
  }
}

/**
 * A transport failure (refused, reset, timed out): worth retrying. Lives here rather
 * than in http.ts so that code which only classifies errors does not load the HTTP stack.
 */
export class NetworkError extends Error {}

/** One line describing any thrown value, for the top-level handlers. */
export function describeError(error: unknown): string {
  if (error instanceof UserError) return error.message;
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `internal error: ${text.split('\n')[0]}`;
}
