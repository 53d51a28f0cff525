// The token cache's record: one per entry, the format docs/ARCHITECTURE.md describes and tests edit.

export interface CachedToken {
  username: string;
  secret: string;
  issuedAt: number;
  expiresAt?: number;
}

export interface FailureRecord {
  at: number;
  message: string;
  permanent: boolean;
  /** The service asked us not to come back before this time (Retry-After). */
  retryAt?: number;
  /** After a transient failure, keep answering the still-valid token until then instead of retrying. */
  serveCachedUntil?: number;
}

export interface CacheRecord {
  version: 1;
  server: string;
  /** Identifies the stored secret the token came from; a new secret never gets an old token. */
  fingerprint: string;
  token?: CachedToken;
  /** The provider answered with the stored secret itself; do not ask it again before this time. */
  passThroughUntil?: number;
  lastRefresh?: number;
  failure?: FailureRecord;
  /** For a `login --source` entry: the source that answered the last exchange, and whom it proved (for `ls`). */
  answeredBy?: { source: string; identity: string };
  /** Result of the last validity check of a non-exchanging secret (Docker Hub PATs). */
  check?: { at: number; ok: boolean; message?: string };
}
