// A token-cache record read back is believed only as far as lanyard could have written
// it. A clock stepped back (or a hand edit) leaves times in the future, and a failure
// "recorded in an hour" would be held for that hour; a token issued in the future or
// living longer than any service is believed would be served past its real death.
// Such parts are treated as absent, so the worst outcome is one extra exchange.
import { foreignText, MESSAGE_MAX_CHARS } from '../foreign-text.js';
import { MAX_SERVICE_DELAY_MS, MAX_TOKEN_LIFETIME_MS } from '../service-limits.js';
import { PASS_THROUGH_HOLD_MS } from './policy.js';
import type { CachedToken, CacheRecord, FailureRecord } from './cache-record.js';

// Processes on one machine share its clock; allow for a small step (NTP) between writer and reader.
const CLOCK_STEP_TOLERANCE_MS = 5_000;

const isTime = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const notAfter = (value: unknown, limit: number): value is number => isTime(value) && value <= limit;

function believableToken(token: CachedToken | undefined, now: number): CachedToken | undefined {
  if (!token || typeof token.username !== 'string' || typeof token.secret !== 'string') return undefined;
  if (!notAfter(token.issuedAt, now + CLOCK_STEP_TOLERANCE_MS)) return undefined;
  if (token.expiresAt === undefined) return token;
  const believable =
    isTime(token.expiresAt) &&
    token.expiresAt > token.issuedAt &&
    token.expiresAt <= token.issuedAt + MAX_TOKEN_LIFETIME_MS;
  return believable ? token : undefined;
}

function believableFailure(failure: FailureRecord | undefined, now: number): FailureRecord | undefined {
  if (!failure || typeof failure.message !== 'string') return undefined;
  if (!notAfter(failure.at, now + CLOCK_STEP_TOLERANCE_MS)) return undefined;
  const holdLimit = now + MAX_SERVICE_DELAY_MS;
  if (failure.retryAt !== undefined && !notAfter(failure.retryAt, holdLimit)) return undefined;
  if (failure.serveCachedUntil !== undefined && !notAfter(failure.serveCachedUntil, holdLimit)) return undefined;
  // Written sanitised; made safe again in case the file was not written by this version.
  const message = foreignText(failure.message, MESSAGE_MAX_CHARS);
  return { ...failure, permanent: failure.permanent === true, message };
}

/** `record` without the parts that cannot be true at `now`. */
export function believableRecord(record: CacheRecord, now: number): CacheRecord {
  const { token, passThroughUntil, lastRefresh, failure, check, answeredBy, ...rest } = record;
  const kept: CacheRecord = { ...rest };
  const believedToken = believableToken(token, now);
  if (believedToken) kept.token = believedToken;
  if (notAfter(passThroughUntil, now + PASS_THROUGH_HOLD_MS)) kept.passThroughUntil = passThroughUntil;
  if (notAfter(lastRefresh, now + CLOCK_STEP_TOLERANCE_MS)) kept.lastRefresh = lastRefresh;
  const believedFailure = believableFailure(failure, now);
  if (believedFailure) kept.failure = believedFailure;
  if (check && notAfter(check.at, now + CLOCK_STEP_TOLERANCE_MS)) {
    const message = typeof check.message === 'string' ? { message: foreignText(check.message, MESSAGE_MAX_CHARS) } : {};
    kept.check = { at: check.at, ok: check.ok === true, ...message };
  }
  if (typeof answeredBy?.source === 'string' && typeof answeredBy.identity === 'string') {
    kept.answeredBy = { source: foreignText(answeredBy.source, 60), identity: foreignText(answeredBy.identity, 160) };
  }
  return kept;
}
