// Docker Hub's token endpoint, asked whether it still accepts a stored access token: the check behind
// the dockerhub kind, in a file of its own so that only a check loads http.ts, never a `get`.
import type { Config } from '../../config.js';
import { ServiceRefusedError } from '../../errors.js';
import { registerSecret } from '../../foreign-text.js';
import { assertSafeEndpoint, header, httpFetch } from '../../http.js';
import type { LoginEntry } from '../provider.js';
import { parseRetryAfter } from '../../retry.js';

export const DEFAULT_HUB_ENDPOINT = 'https://hub.docker.com';

/** Resolves if Hub accepts the token; throws a ServiceRefusedError (permanent or not) otherwise. */
export async function checkHubToken(entry: LoginEntry, token: string, config: Config): Promise<void> {
  const endpoint = entry.options?.hubEndpoint ?? config.hubEndpoint ?? DEFAULT_HUB_ENDPOINT;
  const url = assertSafeEndpoint(`${endpoint.replace(/\/+$/, '')}/v2/auth/token`, 'the Docker Hub endpoint');
  registerSecret(token);
  const response = await httpFetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ identifier: entry.username, secret: token }),
  });
  const { status } = response;
  if (status === 200) return;
  if (status === 401 || status === 403) {
    const detail =
      `rejects the access token of ${entry.username} (${status}): ` +
      'it was revoked or has expired; create a new one and docker login again';
    throw new ServiceRefusedError('Docker Hub', detail, { status, permanent: true });
  }
  // Hub sent X-Retry-After as a unix time, and now documents Retry-After in seconds
  // (docs/wire-formats.md#docker-hub); ServiceRefusedError caps the wait.
  const retryAt = Number(header(response, 'x-retry-after'));
  const retryAfterMs =
    Number.isFinite(retryAt) && retryAt > 0
      ? retryAt * 1000 - Date.now()
      : parseRetryAfter(header(response, 'retry-after'));
  throw new ServiceRefusedError('Docker Hub', `answered ${status} to the token check`, {
    status,
    permanent: false,
    retryAfterMs,
  });
}
