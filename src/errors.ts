// Errors that are meant for people: one line, no stack trace. Anything else that
// escapes to the top level is a bug and is reported as such (still one line).
import { foreignText, MESSAGE_MAX_CHARS } from './foreign-text.js';

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
 * A transport failure (refused, reset, timed out): worth retrying, and its message
 * ("cannot reach …") is for people. Lives here rather than in http.ts so that code
 * which only classifies errors does not load the HTTP stack.
 */
export class NetworkError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'NetworkError';
  }
}

/** One line describing any thrown value, for the top-level handlers (and anything else that shows errors). */
export function describeError(error: unknown): string {
  if (error instanceof UserError) return foreignText(error.message, MESSAGE_MAX_CHARS);
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `internal error: ${foreignText(text.split('\n')[0] ?? '', MESSAGE_MAX_CHARS)}`;
}
