// What every kind of login implements: turn the stored long-lived secret into the
// credential a client should receive. Providers do network I/O only; caching,
// single flight and scheduling belong to tokens/ and daemon/.
import { UserError } from '../errors.js';
import type { MappingEntry } from '../mapping/types.js';

export interface IssuedCredential {
  username: string;
  secret: string;
  /** Epoch ms. */
  issuedAt: number;
  /** Epoch ms; undefined when the credential does not expire (or we cannot know). */
  expiresAt?: number;
}

export interface IssueContext {
  /** Per-request limit: a `get` inside a pull must give up sooner than the daemon. */
  timeoutMs?: number;
}

export interface Provider {
  /** The credential a client should get; the stored secret itself (passThrough) when nothing can be exchanged. */
  issue(entry: MappingEntry, secret: string, context?: IssueContext): Promise<IssuedCredential>;
}

/** A failure from the service behind a provider, classified for retry decisions; its message is for people. */
export class ProviderError extends UserError {
  constructor(
    message: string,
    /** Permanent: retrying cannot help (revoked key, wrong password). */
    readonly permanent: boolean,
    /** The server asked us to wait this long (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export function passThrough(entry: MappingEntry, secret: string, expiresAt?: number): IssuedCredential {
  return { username: entry.username, secret, issuedAt: Date.now(), ...(expiresAt !== undefined ? { expiresAt } : {}) };
}
