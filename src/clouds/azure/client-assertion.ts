// The client assertion a certificate signs for Entra, as MSAL builds it: a JWT (RS256) whose header names the
// certificate by its SHA-1 and SHA-256 thumbprints (x5t, x5t#S256) and whose claims say the app (iss and sub: its
// client id) asks the tenant's token endpoint (aud) within ten minutes (exp), once (jti).
import { createHash, randomUUID, sign } from 'node:crypto';
import type { ClientCertificate } from './client-certificate.js';

/** MSAL's lifetime for an assertion. */
const ASSERTION_LIFETIME_S = 600;

const base64url = (value: Buffer | string) => Buffer.from(value).toString('base64url');

export function clientAssertion(credential: ClientCertificate, clientId: string, tokenEndpoint: string): string {
  const der = credential.certificate.raw;
  const header = {
    alg: 'RS256',
    typ: 'JWT',
    x5t: base64url(createHash('sha1').update(der).digest()),
    'x5t#S256': base64url(createHash('sha256').update(der).digest()),
  };
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    aud: tokenEndpoint,
    iss: clientId,
    sub: clientId,
    jti: randomUUID(),
    iat: now,
    nbf: now,
    exp: now + ASSERTION_LIFETIME_S,
  };
  const unsigned = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${unsigned}.${base64url(sign('sha256', Buffer.from(unsigned), credential.key))}`;
}
