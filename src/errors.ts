// Every error lanyard means to show, by role. Their messages are written for people: one line, no stack trace.
// Anything else that reaches a handler is a bug and is shown as one (still one line).
//   UserError                 bad input or configuration, or a state the user must fix (a locked keychain, a full disk)
//   CredentialsNotFoundError  the helper protocol's "no login" (its text is protocol)
//   TransportError            the service could not be reached, or the connection broke: transient
//   ServiceRefusedError       the service answered, but not with a usable credential: permanent or not, per status
// The last two are RemoteFailures: the ones retries and the token cache's failure record deal with.
// Lives at the bottom (no HTTP stack imported): code that only classifies errors stays cheap to load.
import { foreignText, MESSAGE_MAX_CHARS } from './foreign-text.js';
import { capServiceDelay } from './service-limits.js';

/** A failure whose message is complete and safe to show (never contains a secret). */
export abstract class LanyardError extends Error {}

/** Bad input, bad configuration, or local state only the user can change. */
export class UserError extends LanyardError {
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
 * Talking to a remote service failed. The message may quote what the service or the network said, so it is
 * made safe here (one bounded line, secrets masked): it is cached, logged and shown everywhere.
 */
export abstract class RemoteFailure extends LanyardError {
  /** Retrying cannot help (a revoked key, a wrong password) until the user acts. */
  abstract readonly permanent: boolean;
  /** The service asked us to wait this long (Retry-After), believed up to MAX_SERVICE_DELAY_MS. */
  readonly retryAfterMs?: number;

  constructor(message: string, retryAfterMs?: number) {
    super(foreignText(message, MESSAGE_MAX_CHARS));
    this.retryAfterMs = capServiceDelay(retryAfterMs);
  }

  /** This failure as the last of `tries` tries that took `ms` in all: each try's own deadline is not the story. */
  afterTries(tries: number, ms: number): this {
    if (tries > 1) this.message = `${this.message} (${tries} tries in ${(ms / 1000).toFixed(1)} s)`;
    return this;
  }
}

/** The service could not be reached, the connection broke, or it did not answer in time: worth retrying. */
export class TransportError extends RemoteFailure {
  readonly permanent = false;

  constructor(message: string) {
    super(message);
    this.name = 'TransportError';
  }
}

export interface Refusal {
  /** The HTTP status, when the refusal came as one. */
  status?: number;
  permanent: boolean;
  retryAfterMs?: number;
}

/** The service answered, but not with a usable credential: a refusal (4xx), a failure (429, 5xx), a broken answer. */
export class ServiceRefusedError extends RemoteFailure {
  readonly status?: number;
  readonly permanent: boolean;

  /** The message is `<service> <detail>`, so every refusal names who refused, e.g. "IBM Cloud IAM at https://…". */
  constructor(
    readonly service: string,
    detail: string,
    refusal: Refusal,
  ) {
    super(`${service} ${detail}`, refusal.retryAfterMs);
    this.name = 'ServiceRefusedError';
    this.status = refusal.status;
    this.permanent = refusal.permanent;
  }
}

/** A failure of a remote service (what retries and the failure record handle); undefined for anything else. */
export function asRemoteFailure(error: unknown): RemoteFailure | undefined {
  return error instanceof RemoteFailure ? error : undefined;
}

/** Retrying cannot help: the service refused for good. Transport trouble, user errors and bugs are not permanent. */
export function isPermanent(error: unknown): boolean {
  return error instanceof RemoteFailure && error.permanent;
}

/** The service answered this HTTP status (e.g. 404 on a GET that finds nothing). */
export function isRefusedWith(error: unknown, status: number): boolean {
  return error instanceof ServiceRefusedError && error.status === status;
}

/** One line describing any thrown value, for the top-level handlers (and anything else that shows errors). */
export function describeError(error: unknown): string {
  if (error instanceof LanyardError) return foreignText(error.message, MESSAGE_MAX_CHARS);
  const text = error instanceof Error ? `${error.name}: ${error.message}` : thrownValueText(error);
  return `internal error: ${foreignText(text.split('\n')[0] ?? '', MESSAGE_MAX_CHARS)}`;
}

/** Whatever else was thrown, as text: an object as JSON (String would say "[object Object]"). */
function thrownValueText(value: unknown): string {
  try {
    return typeof value === 'object' && value !== null ? `thrown ${JSON.stringify(value)}` : String(value);
  } catch {
    return `thrown ${typeof value}`; // a cycle, a BigInt inside, a toJSON or toString that throws
  }
}
