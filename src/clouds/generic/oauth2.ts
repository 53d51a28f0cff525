// Generic registries with distribution token auth (docs/wire-formats.md#distribution-token-auth):
// the stored username/password is traded once for a registry refresh token through the OAuth2
// POST (access_type=offline), answered as docker's identity token (`<token>`), so the
// password itself stops travelling with every pull. A realm without OAuth2 (404 on
// POST) or a registry with Basic auth gets the password as stored.
import { ServiceRefusedError } from '../../errors.js';
import { registerSecret } from '../../foreign-text.js';
import { assertSafeEndpoint, header, httpFetch } from '../../http.js';
import { IDENTITY_TOKEN_USERNAME } from '../cloud.js';
import { bearerChallenge } from '../distribution-auth.js';
import { passThrough, type Provider } from '../provider.js';
import { parseRetryAfter } from '../../retry.js';

const CLIENT_ID = 'lanyard';

export const oauth2Provider: Provider = {
  async issue(entry, password, context) {
    const timeout = context.timeoutMs ? { timeoutMs: context.timeoutMs } : {};
    const challenge = await bearerChallenge(entry, context.timeoutMs);
    if (!challenge) return passThrough(entry, password); // Basic auth or no auth: nothing to trade
    const realm = assertSafeEndpoint(challenge.realm, 'the registry token realm');
    registerSecret(password);
    const response = await httpFetch(realm, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: new URLSearchParams({
        grant_type: 'password',
        username: entry.username,
        password,
        service: challenge.service ?? '',
        client_id: CLIENT_ID,
        access_type: 'offline',
      }).toString(),
      ...timeout,
    });
    // No OAuth2 on this realm: the password as stored.
    if (response.status === 404 || response.status === 405) return passThrough(entry, password);
    const service = `the token realm ${realm.origin}`;
    const { status } = response;
    if (status === 429 || status >= 500) {
      const retryAfterMs = parseRetryAfter(header(response, 'retry-after'));
      throw new ServiceRefusedError(service, `answered ${status}`, { status, permanent: false, retryAfterMs });
    }
    if (status !== 200)
      throw new ServiceRefusedError(service, `refused the username/password (${status})`, { status, permanent: true });
    let refreshToken: unknown;
    try {
      refreshToken = (JSON.parse(response.body) as { refresh_token?: unknown }).refresh_token;
    } catch {
      /* handled below */
    }
    if (typeof refreshToken !== 'string' || !refreshToken) return passThrough(entry, password);
    return { username: IDENTITY_TOKEN_USERNAME, secret: refreshToken, issuedAt: Date.now() };
  },
};
