// A JWT's claims, read without verifying them: the issuer (or the registry) verifies a token; lanyard only reads
// when it expires and whom it names. Anything that is not a token with a JSON object payload has no claims.
import { parseJson } from './validate.js';

export function unverifiedClaims(token: string): Record<string, unknown> {
  try {
    const claims = parseJson(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims)
      ? (claims as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
