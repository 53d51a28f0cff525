// The credential a client gets for an entry. Exchanging kinds are answered from the
// token cache when fresh; otherwise one process (per entry, across processes) does the
// exchange under a lock while the others wait and then read its result. A failure is
// recorded too, so waiters share it instead of each asking the service again. Every step
// reads the clock, the paths and the stores from the context it is given.
import { asRemoteFailure, CredentialsNotFoundError, UserError } from '../errors.js';
import { registerSecret } from '../foreign-text.js';
import { LockUnavailableError, withLock } from '../fsutil/lock.js';
import { log } from '../log.js';
import { readMapping } from '../mapping/mapping-file.js';
import type { MappingEntry } from '../mapping/types.js';
import { loadProvider } from '../clouds/registry.js';
import { KIND_TRAITS } from '../clouds/registry.js';
import type { IssuedCredential } from '../clouds/provider.js';
import { withRetries, type RetryPolicy } from '../retry.js';
import { isoTime } from '../service-limits.js';
import { secretFingerprint } from '../tokens/fingerprint.js';
import {
  expiryMarginMs,
  isUsable,
  needsRefresh,
  PASS_THROUGH_HOLD_MS,
  refreshDueAt,
  type Lifetime,
} from '../tokens/policy.js';
import {
  tokenCache,
  type CachedToken,
  type CacheRecord,
  type FailureRecord,
  type TokenCache,
} from '../tokens/token-cache.js';
import type { CoreContext } from './core-context.js';
import { exchangeOnce, longLivedSide } from './long-lived-side.js';
import { readSecret } from './read-secret.js';

export interface IssueOptions {
  retry: RetryPolicy;
  /** Hand out a token that is past its refresh time but still usable (someone else refreshes it). */
  acceptDueTokens?: boolean;
  /** Exchange even if the cache is fresh (daemon refresh, `daemon refresh`). */
  force?: boolean;
  /** The registry asked for (its server key): a pattern whose tokens serve one registry each needs it. */
  registry?: string;
}

export interface Answer {
  username: string;
  secret: string;
  /** Epoch ms, when known: lets callers (kubelet mode) cache no longer than the credential lives. */
  expiresAt?: number;
}

/**
 * What issuing did: answered from the cache; asked the service (for kinds with nothing to exchange:
 * the provider passed the stored secret on); asked it and failed, serving the still-usable token;
 * or did not ask because of a recent failure, serving the still-usable token.
 */
export type Outcome = 'cached' | 'exchanged' | 'stale-served' | 'held-back';

export interface Issued {
  answer: Answer;
  outcome: Outcome;
  /** The failure behind a stale-served or held-back answer. */
  failure?: FailureRecord;
  /** When the answer is due for refresh: a token's refresh time, a pass-through's end; absent: never. */
  refreshAt?: number;
  /** The answer's lifetime, when it expires. */
  lifetimeMs?: number;
  /** When the cached answer was last exchanged. */
  lastRefresh?: number;
}

/** No usable credential: the exchange failed, or a recent failure held it back. */
export class IssueFailedError extends UserError {
  constructor(
    server: string,
    readonly failure: FailureRecord,
  ) {
    // A hold the service asked for says until when, and how to end it sooner.
    const held =
      failure.retryAt === undefined
        ? ''
        : `; not asked again before ${isoTime(failure.retryAt)} (docker-credential-lanyard refresh ${server} asks now)`;
    super(`cannot get a token for ${server}: ${failure.message}${held}`);
  }
}

// How long a permanent refusal is trusted before the service is asked again; a new
// login changes the fingerprint and clears it at once.
const PERMANENT_FAILURE_HOLD_MS = 30_000;
const LOCK_WAIT_MS = 30_000;

/**
 * The server key a token of `entry` belongs to when it answers `registry`: the registry itself for a pattern whose
 * kind gets a token per registry (`tokenPerRegistry`: ECR across regions), else the entry's own key.
 */
export function tokenServerFor(entry: MappingEntry, registry: string | undefined): string {
  const perRegistry = registry !== undefined && KIND_TRAITS[entry.kind].tokenPerRegistry?.(entry.server);
  return perRegistry ? registry : entry.server;
}

/** The entry as its provider sees it when exchanging for `server`: the login, for that one registry. */
export const entryServing = (entry: MappingEntry, server: string): MappingEntry =>
  server === entry.server ? entry : { ...entry, server };

/** One call's entry, with where its token lives and which login a cached token must belong to. */
interface Job {
  context: CoreContext;
  /** The mapping's entry, as read. */
  entry: MappingEntry;
  /** The server key its token is for (`tokenServerFor`): the entry's, or one registry a pattern serves. */
  server: string;
  cache: TokenCache;
  fingerprint: string;
}

function currentRecord(job: Job, now: number): CacheRecord {
  const { server, fingerprint } = job;
  const record = job.cache.read(server, now);
  return record?.fingerprint === fingerprint ? record : { version: 1, server, fingerprint };
}

type CachedAnswer = { token: CachedToken } | { passThroughUntil: number };

/** A usable cached answer: a token, or a time until which the stored secret is answered as is. */
function fromCache(record: CacheRecord, now: number, acceptDue: boolean): CachedAnswer | undefined {
  const token = record.token;
  if (token && isUsable(token, now) && (acceptDue || !needsRefresh(token, now))) return { token };
  if (record.passThroughUntil !== undefined && now < record.passThroughUntil)
    return { passThroughUntil: record.passThroughUntil };
  return undefined;
}

function tokenIssued(token: Answer & Lifetime, outcome: Outcome, record: Partial<CacheRecord>): Issued {
  const refreshAt = refreshDueAt(token);
  return {
    answer: {
      username: token.username,
      secret: token.secret,
      ...(token.expiresAt !== undefined ? { expiresAt: token.expiresAt } : {}),
    },
    outcome,
    ...(outcome === 'stale-served' || outcome === 'held-back' ? { failure: record.failure } : {}),
    ...(Number.isFinite(refreshAt) ? { refreshAt } : {}),
    ...(token.expiresAt !== undefined ? { lifetimeMs: token.expiresAt - token.issuedAt } : {}),
    ...(record.lastRefresh !== undefined ? { lastRefresh: record.lastRefresh } : {}),
  };
}

/** The stored secret as the answer; `until` bounds how long callers (kubelet) may keep it. */
async function passThroughIssued(job: Job, until: number, lastRefresh?: number): Promise<Issued> {
  const secret = await readSecret(job.context, job.entry);
  return {
    answer: { username: job.entry.username, secret, expiresAt: until },
    outcome: 'cached',
    refreshAt: until,
    ...(lastRefresh !== undefined ? { lastRefresh } : {}),
  };
}

function cachedIssued(job: Job, record: CacheRecord, cached: CachedAnswer): Promise<Issued> | Issued {
  return 'token' in cached
    ? tokenIssued(cached.token, 'cached', record)
    : passThroughIssued(job, cached.passThroughUntil, record.lastRefresh);
}

// After an outage, gets keep serving the still-valid token for a while instead of each
// waiting on retries; never beyond the token's usable life, when retrying is all there is.
const TRANSIENT_HOLD_MS = 30_000;

function holdWhileUsable(record: CacheRecord, permanent: boolean, now: number): number | undefined {
  const token = record.token;
  if (permanent || !token || !isUsable(token, now)) return undefined;
  const usableUntil = token.expiresAt === undefined ? Infinity : token.expiresAt - expiryMarginMs(token);
  return Math.min(now + TRANSIENT_HOLD_MS, usableUntil);
}

async function exchange(job: Job, record: CacheRecord, retry: RetryPolicy): Promise<Issued> {
  const { context, entry, cache, server } = job;
  const side = await longLivedSide(context, entry);
  const secret = 'secret' in side ? side.secret : undefined;
  const now = context.now();
  log.debug(`${server}: exchange started (${entry.kind})`);
  let issued: IssuedCredential;
  let answeredBy: CacheRecord['answeredBy'];
  try {
    const issue = { timeoutMs: retry.requestTimeoutMs };
    const serving = entryServing(entry, server);
    const exchanged = await withRetries(() => exchangeOnce(context, serving, side, issue), retry);
    issued = exchanged.issued;
    if (exchanged.source) {
      answeredBy = { source: exchanged.source.name, identity: exchanged.source.identity };
      log.debug(`${server}: ${exchanged.source.name} answered (${exchanged.source.identity})`);
    }
  } catch (error) {
    const remoteFailure = asRemoteFailure(error);
    const failedAt = context.now();
    log.debug(`${server}: exchange failed after ${failedAt - now} ms`);
    if (!remoteFailure) throw error;
    const retryAt = remoteFailure.retryAfterMs !== undefined ? failedAt + remoteFailure.retryAfterMs : undefined;
    const serveCachedUntil = holdWhileUsable(record, remoteFailure.permanent, failedAt);
    const failure: FailureRecord = {
      at: failedAt,
      message: remoteFailure.message,
      permanent: remoteFailure.permanent,
      ...(retryAt ? { retryAt } : {}),
      ...(serveCachedUntil ? { serveCachedUntil } : {}),
    };
    cache.write({ ...record, failure });
    const how = remoteFailure.permanent ? 'permanent' : 'transient';
    log.warn(`exchange for ${server} failed (${how}): ${remoteFailure.message}`);
    // still valid: serve it
    if (record.token && isUsable(record.token, failedAt))
      return tokenIssued(record.token, 'stale-served', { ...record, failure });
    throw new IssueFailedError(server, failure);
  }
  registerSecret(issued.secret);
  const passedThrough = issued.secret === secret ? ' (the stored secret as is)' : '';
  log.debug(`${server}: exchange answered in ${context.now() - now} ms${passedThrough}`);
  const { failure: _cleared, token: _old, passThroughUntil: _pt, ...rest } = record;
  if (issued.secret === secret) {
    // Nothing to exchange: never copy the long-lived secret into the cache.
    const until =
      issued.expiresAt !== undefined
        ? Math.min(now + PASS_THROUGH_HOLD_MS, issued.expiresAt - expiryMarginMs(issued))
        : now + PASS_THROUGH_HOLD_MS;
    cache.write({ ...rest, passThroughUntil: until, lastRefresh: now });
    return {
      answer: { username: issued.username, secret: issued.secret, expiresAt: until },
      outcome: 'exchanged',
      refreshAt: until,
      lastRefresh: now,
    };
  }
  const token: CachedToken = {
    username: issued.username,
    secret: issued.secret,
    issuedAt: issued.issuedAt,
    ...(issued.expiresAt !== undefined ? { expiresAt: issued.expiresAt } : {}),
  };
  cache.write({ ...rest, token, lastRefresh: now, ...(answeredBy ? { answeredBy } : {}) });
  const validity = issued.expiresAt ? `, valid until ${isoTime(issued.expiresAt)}` : '';
  log.info(`exchanged a token for ${server}${validity}`);
  return tokenIssued(token, 'exchanged', { lastRefresh: now });
}

/** What a recorded failure decides, unless forced: serve the usable token, hold back, or ask again. */
function afterFailure(job: Job, record: CacheRecord, startedAt: number, now: number): Issued | undefined {
  const { failure, token } = record;
  if (!failure) return undefined;
  const server = job.server;
  const usableToken = token && isUsable(token, now) ? token : undefined;
  if (usableToken && failure.serveCachedUntil !== undefined && now < failure.serveCachedUntil) {
    log.debug(`${server}: recent failure, cached token served until ${isoTime(failure.serveCachedUntil)}`);
    return tokenIssued(usableToken, 'held-back', record);
  }
  const heldBack =
    failure.at >= startedAt || // failed while we waited: share that answer
    (failure.permanent && now - failure.at < PERMANENT_FAILURE_HOLD_MS) ||
    (failure.retryAt !== undefined && now < failure.retryAt);
  if (!heldBack) return undefined;
  const until = failure.retryAt !== undefined ? `, not before ${isoTime(failure.retryAt)}` : '';
  const answer = usableToken ? 'serving the cached token' : 'not asking again';
  log.debug(`${server}: held back by the failure at ${isoTime(failure.at)}${until}; ${answer}`);
  if (usableToken) return tokenIssued(usableToken, 'held-back', record);
  throw new IssueFailedError(server, failure);
}

/** Under the entry's lock: re-check what others did while we waited, then exchange if still needed. */
async function refreshUnderLock(job: Job, startedAt: number, options: IssueOptions): Promise<Issued> {
  const { context, entry, cache, server } = job;
  cache.ensureDir();
  const decide = async (): Promise<Issued> => {
    const now = context.now();
    const record = currentRecord(job, now);
    if (!options.force) {
      const cached = fromCache(record, now, false);
      if (cached) return cachedIssued(job, record, cached);
      const held = afterFailure(job, record, startedAt, now);
      if (held) return held;
    }
    // A logout while we waited for the lock: an exchange now would cache a token for a login that is gone
    // (an env-store secret outlives its entry).
    const entries = readMapping(context.config.paths.mappingFile).entries;
    if (!entries.some((e) => e.server === entry.server)) throw new CredentialsNotFoundError();
    return exchange(job, record, options.retry);
  };
  return withLock(cache.lockFor(server), decide, LOCK_WAIT_MS).catch((error: unknown) => {
    // The lock only spares the service duplicate exchanges: when it cannot be created at all
    // (full disk, read-only runtime dir), answer without it rather than fail the pull.
    if (!(error instanceof LockUnavailableError)) throw error;
    log.warn(`exchanging for ${server} without the lock: ${error.message}`);
    return decide();
  });
}

function jobFor(context: CoreContext, entry: MappingEntry, registry?: string): Job {
  const cache = tokenCache(context.config.paths.runtimeDir);
  const server = tokenServerFor(entry, registry);
  return { context, entry, server, cache, fingerprint: secretFingerprint(entry, context.config) };
}

/**
 * A usable cached token for an exchanging entry, also one past its refresh time (for a running daemon, which is
 * about to replace it): no store read, no lock, no exchange. Undefined when anything more would be needed.
 */
export function cachedToken(context: CoreContext, entry: MappingEntry, registry?: string): Answer | undefined {
  const job = jobFor(context, entry, registry);
  const now = context.now();
  const record = currentRecord(job, now);
  const cached = fromCache(record, now, true);
  return cached && 'token' in cached ? tokenIssued(cached.token, 'cached', record).answer : undefined;
}

/** The credential for an entry and what it took to get it. */
export async function issueCredential(
  context: CoreContext,
  entry: MappingEntry,
  options: IssueOptions,
): Promise<Issued> {
  const from = entry.source ? `${entry.source} source` : `${entry.store} store`;
  log.debug(`entry ${entry.server} (${entry.kind}, ${from})${options.force ? ': forced refresh' : ''}`);
  if (!KIND_TRAITS[entry.kind].exchanges) {
    const provider = await loadProvider(entry.kind);
    const stored = await readSecret(context, entry);
    const { username, secret, expiresAt } = await provider.issue(entry, stored, { config: context.config });
    return { answer: { username, secret, ...(expiresAt !== undefined ? { expiresAt } : {}) }, outcome: 'exchanged' };
  }
  const startedAt = context.now();
  const job = jobFor(context, entry, options.registry);
  if (!options.force) {
    const record = currentRecord(job, startedAt);
    const cached = fromCache(record, startedAt, options.acceptDueTokens ?? false);
    log.debug(`${job.server}: cache ${cached ? 'hit' : 'miss (no fresh token)'}`);
    if (cached) return cachedIssued(job, record, cached);
  }
  return refreshUnderLock(job, startedAt, options);
}

/** Just the answer, for callers that need nothing more (`get`, kubelet mode, pull secrets). */
export async function credentialFor(context: CoreContext, entry: MappingEntry, options: IssueOptions): Promise<Answer> {
  return (await issueCredential(context, entry, options)).answer;
}
