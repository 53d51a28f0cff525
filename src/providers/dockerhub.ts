// Docker Hub has no registry-usable short-lived token (reference §5.2): clients get
// username + access token (PAT) as stored. What lanyard adds is a periodic check
// against Hub's token endpoint, so a revoked or expired PAT shows up in `ls` and the
// log before a pull fails.
import { ServiceRefusedError } from '../errors.js';
import { registerSecret } from '../foreign-text.js';
import { assertSafeEndpoint, header, httpFetch } from '../http.js';
import type { MappingEntry } from '../mapping/types.js';
import { passThrough, type Provider } from './provider.js';
import { parseRetryAfter } from './retry.js';

export const DEFAULT_HUB_ENDPOINT = 'https://hub.docker.com';

export const dockerHubProvider: Provider = {
  async issue(entry, token) {
    return passThrough(entry, token);
  },
};

/** Resolves if Hub accepts the token; throws a ServiceRefusedError (permanent or not) otherwise. */
export async function checkHubToken(entry: MappingEntry, token: string): Promise<void> {
  const endpoint = entry.options?.hubEndpoint ?? process.env.LANYARD_HUB_ENDPOINT ?? DEFAULT_HUB_ENDPOINT;
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
  // Hub sends X-Retry-After as a unix time (reference §5.2); ServiceRefusedError caps the wait.
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
