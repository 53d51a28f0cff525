// Reads a JWT's `exp`/`iat` claims without verifying them: only to know when a
// pass-through token dies, and how our clock compares with the issuer's. Opaque
// tokens (e.g. OpenShift's sha256~…) simply have no known expiry, and neither has a
// claim that is no time a Date can hold (beyond ±8.64e15 ms).
const MAX_TIME_MS = 8.64e15;

function claimOf(token: string, claim: string): unknown {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    return (JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as Record<string, unknown> | null)?.[claim];
  } catch {
    return undefined;
  }
}

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
