// How far lanyard believes what a token service says about time. A service (or a proxy
// in front of it) may send any number: a Retry-After of a year, a token "valid" for
// 300,000 years, one that expired before it was issued. Delays are capped, lifetimes
// shortened to a day, and a lifetime too short to use is refused by the providers.
// The token cache applies the same bounds when it reads times back.

/**
 * The longest a service can make us wait (Retry-After) or hold a failure it caused: a hold outliving the fault
 * fails every pull on the machine with nothing to do but wait, so it is short, and `refresh HOST` ends it.
 */
export const MAX_SERVICE_DELAY_MS = 60_000;
/** Longer lifetimes are believed only this far: the token is refreshed sooner, which costs nothing. */
export const MAX_TOKEN_LIFETIME_MS = 24 * 3600_000;
/** A token that lives less than this would die between `get` and the registry's check of it. */
export const MIN_TOKEN_LIFETIME_MS = 10_000;
/** What to do about a credential that is dead on arrival: it is either our clock or the service. */
export const CLOCK_HINT = "check this machine's clock; if it is right, the service is at fault";
/** A service that answers with an unusable lifetime is asked again after this long, not on every `get`. */
export const UNUSABLE_ANSWER_HOLD_MS = 60_000;

/** A delay a service asked for, within [0, MAX_SERVICE_DELAY_MS]; undefined when it asked for none. */
export function capServiceDelay(ms: number | undefined): number | undefined {
  if (ms === undefined || Number.isNaN(ms)) return undefined;
  return Math.min(MAX_SERVICE_DELAY_MS, Math.max(0, ms));
}

/** Why a token issued at `issuedAt` and expiring at `expiresAt` cannot be used; undefined when it can. */
export function unusableLifetime(issuedAt: number, expiresAt: number): string | undefined {
  if (Number.isNaN(expiresAt)) return 'no expiry time';
  const seconds = Math.round((expiresAt - issuedAt) / 1000);
  if (expiresAt - issuedAt < MIN_TOKEN_LIFETIME_MS) return `a lifetime of ${seconds} s`;
  return undefined;
}

/** `expiresAt` shortened to at most MAX_TOKEN_LIFETIME_MS after `issuedAt`. */
export function boundedExpiry(issuedAt: number, expiresAt: number): number {
  return Math.min(expiresAt, issuedAt + MAX_TOKEN_LIFETIME_MS);
}

/** An instant as ISO 8601 for logs and messages; never throws (Date cannot hold times beyond ±8.64e15 ms). */
export function isoTime(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? `(not a representable time: ${ms})` : date.toISOString();
}
