// Reads a JWT's `exp`/`iat` claims without verifying them: only to know when a
// pass-through token dies, and how our clock compares with the issuer's. Opaque
// tokens (e.g. OpenShift's sha256~…) simply have no known expiry, and neither has a
// claim that is no time a Date can hold (beyond ±8.64e15 ms).
import { unverifiedClaims } from '../jwt-claims.js';

const MAX_TIME_MS = 8.64e15;

const claimOf = (token: string, claim: string): unknown =>
  token.split('.').length === 3 ? unverifiedClaims(token)[claim] : undefined;

function numericClaim(token: string, claim: 'exp' | 'iat'): number | undefined {
  const value = claimOf(token, claim);
  return typeof value === 'number' && Math.abs(value * 1000) <= MAX_TIME_MS ? value * 1000 : undefined;
}

/** A string claim such as `sub`, unverified: only to name whom a token was issued to. */
export function jwtStringClaim(token: string, claim: string): string | undefined {
  const value = claimOf(token, claim);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Epoch ms of the `exp` claim. */
export const jwtExpiry = (token: string) => numericClaim(token, 'exp');

/** Epoch ms of the `iat` claim: the issuer's clock at issue time (for skew checks). */
export const jwtIssuedAt = (token: string) => numericClaim(token, 'iat');
