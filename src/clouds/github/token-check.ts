// The check behind the github kind, in a file of its own so that only a check loads http.ts, never a `get`:
// the registry's own token realm is asked for a token with the stored login, as `docker login` does.
import { ServiceRefusedError, UserError } from '../../errors.js';
import { registerSecret } from '../../foreign-text.js';
import { assertSafeEndpoint, header, httpFetch } from '../../http.js';
import { parseRetryAfter } from '../../retry.js';
import { bearerChallenge } from '../distribution-auth.js';
import type { IssueContext, LoginEntry } from '../provider.js';

const CLIENT_ID = 'lanyard';

/** Resolves if the realm gives a token for the login; throws a ServiceRefusedError (permanent or not). */
export async function checkToken(entry: LoginEntry, token: string, context: IssueContext): Promise<void> {
  const challenge = await bearerChallenge(entry, context.timeoutMs);
  if (!challenge) throw new UserError(`${entry.server} asked for no token at /v2/: it is not a GitHub registry`);
  const realm = assertSafeEndpoint(challenge.realm, 'the registry token realm');
  const query = {
    account: entry.username,
    client_id: CLIENT_ID,
    ...(challenge.service ? { service: challenge.service } : {}),
  };
  realm.search = new URLSearchParams(query).toString();
  registerSecret(token);
  const response = await httpFetch(realm, {
    headers: {
      Accept: 'application/json',
      Authorization: `Basic ${Buffer.from(`${entry.username}:${token}`).toString('base64')}`,
    },
    ...(context.timeoutMs ? { timeoutMs: context.timeoutMs } : {}),
  });
  const { status } = response;
  if (status === 200) return;
  const service = `the token realm ${realm.origin}`;
  if (status === 401 || status === 403) {
    const detail =
      `refused the token of ${entry.username} (${status}): it was revoked, has expired or lacks read:packages; ` +
      `create a new one and log in again: docker login ${entry.server} -u ${entry.username}`;
    throw new ServiceRefusedError(service, detail, { status, permanent: true });
  }
  const retryAfterMs = parseRetryAfter(header(response, 'retry-after'));
  throw new ServiceRefusedError(service, `answered ${status} to the token check`, {
    status,
    permanent: false,
    retryAfterMs,
  });
}
