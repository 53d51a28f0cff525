// The credential a client gets for an entry. Exchanging kinds are answered from the
// token cache when fresh; otherwise one process (per entry, across processes) does the
// exchange under a lock while the others wait and then read its result. A failure is
// recorded too, so waiters share it instead of each asking the service again.
import { asRemoteFailure, CredentialsNotFoundError, UserError } from '../errors.js';
import { registerSecret } from '../foreign-text.js';
import { LockUnavailableError, withLock } from '../fsutil/lock.js';
import { log } from '../log.js';
import { readMapping } from '../mapping/mapping-file.js';
import type { MappingEntry } from '../mapping/types.js';
import { loadProvider } from '../providers/index.js';
import { KIND_TRAITS } from '../providers/kinds.js';
import { passThrough, type IssuedCredential } from '../providers/provider.js';
import { withRetries, type RetryPolicy } from '../providers/retry.js';
import { isoTime } from '../service-limits.js';
import { secretFingerprint } from '../tokens/fingerprint.js';
import { isUsable, needsRefresh, expiryMarginMs, PASS_THROUGH_HOLD_MS } from '../tokens/policy.js';
import {
  cacheLockFor,
  ensureRuntimeDir,
  readCacheRecord,
  writeCacheRecord,
  type CacheRecord,
} from '../tokens/token-cache.js';
import { readSecret } from './read-secret.js';

export interface IssueOptions {
  retry: RetryPolicy;
  /** Hand out a token that is past its refresh time but still usable (someone else refreshes it). */
  acceptDueTokens?: boolean;
  /** Exchange even if the cache is fresh (daemon refresh, `daemon refresh`). */
  force?: boolean;
}

export interface Answer {
  username: string;
  secret: string;
  /** Epoch ms, when known: lets callers (kubelet mode) cache no longer than the credential lives. */
  expiresAt?: number;
}

// How long a permanent refusal is trusted before the service is asked again; a new
// login changes the fingerprint and clears it at once.
const PERMANENT_FAILURE_HOLD_MS = 30_000;
const LOCK_WAIT_MS = 30_000;

function currentRecord(entry: MappingEntry, fingerprint: string): CacheRecord {
  const record = readCacheRecord(entry.server);
  return record?.fingerprint === fingerprint ? record : { version: 1, server: entry.server, fingerprint };
}

/** A usable cached answer; for pass-through entries, a marker to read the stored secret. */
function fromCache(
  record: CacheRecord,
  now: number,
  acceptDue: boolean,
): Answer | { passThroughUntil: number } | undefined {
  const token = record.token;
  if (token && isUsable(token, now) && (acceptDue || !needsRefresh(token, now))) return token;
  if (record.passThroughUntil !== undefined && now < record.passThroughUntil)
    return { passThroughUntil: record.passThroughUntil };
  return undefined;
}

// After an outage, gets keep serving the still-valid token for a while instead of each
// waiting on retries; never beyond the token's usable life, when retrying is all there is.
const TRANSIENT_HOLD_MS = 30_000;

function holdWhileUsable(record: CacheRecord, permanent: boolean): number | undefined {
  const token = record.token;
  if (permanent || !token || !isUsable(token)) return undefined;
  const usableUntil = token.expiresAt === undefined ? Infinity : token.expiresAt - expiryMarginMs(token);
  return Math.min(Date.now() + TRANSIENT_HOLD_MS, usableUntil);
}

function failureToError(entry: MappingEntry, message: string): UserError {
  return new UserError(`cannot get a token for ${entry.server}: ${message}`);
}

/** The stored secret as the answer; `until` bounds how long callers (kubelet) may keep it. */
async function passThroughAnswer(entry: MappingEntry, until: number): Promise<Answer> {
  return { ...passThrough(entry, await readSecret(entry)), expiresAt: until };
}

async function answerFrom(entry: MappingEntry, cached: Answer | { passThroughUntil: number }): Promise<Answer> {
  return 'passThroughUntil' in cached ? passThroughAnswer(entry, cached.passThroughUntil) : cached;
}

async function exchange(entry: MappingEntry, record: CacheRecord, retry: RetryPolicy): Promise<Answer> {
  const secret = await readSecret(entry);
  registerSecret(secret);
  const provider = await loadProvider(entry.kind);
  const now = Date.now();
  log.debug(`${entry.server}: exchange started (${entry.kind})`);
  let issued: IssuedCredential;
  try {
    issued = await withRetries(() => provider.issue(entry, secret, { timeoutMs: retry.requestTimeoutMs }), retry);
  } catch (error) {
    const failure = asRemoteFailure(error);
    log.debug(`${entry.server}: exchange failed after ${Date.now() - now} ms`);
    if (!failure) throw error;
    const retryAt = failure.retryAfterMs !== undefined ? Date.now() + failure.retryAfterMs : undefined;
    const serveCachedUntil = holdWhileUsable(record, failure.permanent);
    writeCacheRecord({
      ...record,
      failure: {
        at: Date.now(),
        message: failure.message,
        permanent: failure.permanent,
        ...(retryAt ? { retryAt } : {}),
        ...(serveCachedUntil ? { serveCachedUntil } : {}),
      },
    });
    log.warn(
      `exchange for ${entry.server} failed (${failure.permanent ? 'permanent' : 'transient'}): ${failure.message}`,
    );
    if (record.token && isUsable(record.token)) return record.token; // still valid: serve it
    throw failureToError(entry, failure.message);
  }
  registerSecret(issued.secret);
  const passedThrough = issued.secret === secret ? ' (the stored secret as is)' : '';
  log.debug(`${entry.server}: exchange answered in ${Date.now() - now} ms${passedThrough}`);
  const { failure: _cleared, token: _old, passThroughUntil: _pt, ...rest } = record;
  if (issued.secret === secret) {
    // Nothing to exchange: never copy the long-lived secret into the cache.
    const until =
      issued.expiresAt !== undefined
        ? Math.min(now + PASS_THROUGH_HOLD_MS, issued.expiresAt - expiryMarginMs(issued))
        : now + PASS_THROUGH_HOLD_MS;
    writeCacheRecord({ ...rest, passThroughUntil: until, lastRefresh: now });
  } else {
    writeCacheRecord({
      ...rest,
      token: {
        username: issued.username,
        secret: issued.secret,
        issuedAt: issued.issuedAt,
        ...(issued.expiresAt !== undefined ? { expiresAt: issued.expiresAt } : {}),
      },
      lastRefresh: now,
    });
    const validity = issued.expiresAt ? `, valid until ${isoTime(issued.expiresAt)}` : '';
    log.info(`exchanged a token for ${entry.server}${validity}`);
  }
  return {
    username: issued.username,
    secret: issued.secret,
    ...(issued.expiresAt !== undefined ? { expiresAt: issued.expiresAt } : {}),
  };
}

/** Under the entry's lock: re-check what others did while we waited, then exchange if still needed. */
async function refreshUnderLock(
  entry: MappingEntry,
  fingerprint: string,
  startedAt: number,
  options: IssueOptions,
): Promise<Answer> {
  ensureRuntimeDir();
  const decide = async (): Promise<Answer> => {
    const record = currentRecord(entry, fingerprint);
    const now = Date.now();
    if (!options.force) {
      const cached = fromCache(record, now, false);
      if (cached) return answerFrom(entry, cached);
    }
    const failure = record.failure;
    const usableToken = record.token && isUsable(record.token, now) ? record.token : undefined;
    if (failure && !options.force) {
      if (usableToken && failure.serveCachedUntil !== undefined && now < failure.serveCachedUntil) {
        log.debug(`${entry.server}: recent failure, cached token served until ${isoTime(failure.serveCachedUntil)}`);
        return usableToken;
      }
      const heldBack =
        failure.at >= startedAt || // failed while we waited: share that answer
        (failure.permanent && now - failure.at < PERMANENT_FAILURE_HOLD_MS) ||
        (failure.retryAt !== undefined && now < failure.retryAt);
      if (heldBack) {
        const until = failure.retryAt !== undefined ? `, not before ${isoTime(failure.retryAt)}` : '';
        const answer = usableToken ? 'serving the cached token' : 'not asking again';
        log.debug(`${entry.server}: held back by the failure at ${isoTime(failure.at)}${until}; ${answer}`);
        if (usableToken) return usableToken;
        throw failureToError(entry, failure.message);
      }
    }
    // A logout while we waited for the lock: an exchange now would cache a token for a login that is gone
    // (an env-store secret outlives its entry).
    if (!readMapping().entries.some((e) => e.server === entry.server)) throw new CredentialsNotFoundError();
    return exchange(entry, record, options.retry);
  };
  return withLock(cacheLockFor(entry.server), decide, LOCK_WAIT_MS).catch((error: unknown) => {
    // The lock only spares the service duplicate exchanges: when it cannot be created at all
    // (full disk, read-only runtime dir), answer without it rather than fail the pull.
    if (!(error instanceof LockUnavailableError)) throw error;
    log.warn(`exchanging for ${entry.server} without the lock: ${error.message}`);
    return decide();
  });
}

export async function credentialFor(entry: MappingEntry, options: IssueOptions): Promise<Answer> {
  log.debug(`entry ${entry.server} (${entry.kind}, ${entry.store} store)${options.force ? ': forced refresh' : ''}`);
  if (!KIND_TRAITS[entry.kind].exchanges) {
    const provider = await loadProvider(entry.kind);
    return provider.issue(entry, await readSecret(entry));
  }
  const startedAt = Date.now();
  const fingerprint = secretFingerprint(entry);
  if (!options.force) {
    const cached = fromCache(currentRecord(entry, fingerprint), startedAt, options.acceptDueTokens ?? false);
    log.debug(`${entry.server}: cache ${cached ? 'hit' : 'miss (no fresh token)'}`);
    if (cached) return answerFrom(entry, cached);
  }
  return refreshUnderLock(entry, fingerprint, startedAt, options);
}
