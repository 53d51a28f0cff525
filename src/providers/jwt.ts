// Reads a JWT's `exp` claim without verifying it: only to know when a pass-through
// token dies. Opaque tokens (e.g. OpenShift's sha256~…) simply have no known expiry.
export function jwtExpiry(token: string): number | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8')) as { exp?: unknown };
    return typeof claims.exp === 'number' ? claims.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
