// IBM Cloud IAM's token endpoint (docs/wire-formats.md#ibm-cloud-iam), shared by the API-key and the
// refresh-token kinds. Errors are classified: 400/401 (BXNIM… codes) are permanent,
// 429 and 5xx are worth retrying.
import type { Config } from '../../config.js';
import { ServiceRefusedError } from '../../errors.js';
import { bodyExcerpt, foreignText, registerSecret } from '../../foreign-text.js';
import { assertSafeEndpoint, header, httpFetch, readCaBundle } from '../../http.js';
import type { LoginEntry } from '../provider.js';
import { checkedExpiry, type IssueContext, type IssuedCredential } from '../provider.js';
import { parseRetryAfter } from '../../retry.js';

export const DEFAULT_IAM_ENDPOINT = 'https://iam.cloud.ibm.com';

export interface IamTokens {
  accessToken: string;
  refreshToken?: string;
  issuedAt: number;
  expiresAt: number;
}

export function iamEndpoint(entry: LoginEntry, config: Config): string {
  return entry.options?.iamEndpoint ?? config.iamEndpoint ?? DEFAULT_IAM_ENDPOINT;
}

/** IAM's errorCode and errorMessage (or the start of a gateway's page), made safe to show and store. */
function describeIamError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errorCode?: unknown; errorMessage?: unknown };
    const { errorCode, errorMessage } = parsed;
    if (typeof errorMessage === 'string' && errorMessage) {
      return foreignText(typeof errorCode === 'string' ? `${errorCode}: ${errorMessage}` : errorMessage);
    }
  } catch {
    /* not JSON */
  }
  return bodyExcerpt(body);
}

/** expires_in is relative, so it is immune to clock skew; `expiration` is the server's clock. */
function announcedExpiry(service: string, body: { expires_in?: unknown; expiration?: unknown }, issuedAt: number) {
  const { expires_in: relative, expiration: absolute } = body;
  if (typeof relative === 'number') {
    return checkedExpiry(service, `expires_in ${relative}`, issuedAt, issuedAt + relative * 1000);
  }
  if (typeof absolute === 'number') {
    return checkedExpiry(service, `expiration ${absolute}, by this machine's clock`, issuedAt, absolute * 1000);
  }
  return issuedAt + 3600_000;
}

/** An IAM grant answered as clients log in to IBM registries with it: `iambearer` + the access token. */
/** What a client gets for an IAM access token: ICR takes it as the password of `iambearer`. */
export function iambearerLogin(tokens: Omit<IamTokens, 'refreshToken'>, identity?: string): IssuedCredential {
  const { accessToken: secret, issuedAt, expiresAt } = tokens;
  return { username: 'iambearer', secret, issuedAt, expiresAt, ...(identity ? { identity } : {}) };
}

export async function requestIambearer(
  entry: LoginEntry,
  form: Record<string, string>,
  context: IssueContext,
  basicAuth?: string,
): Promise<IssuedCredential> {
  return iambearerLogin(await requestIamToken(entry, form, context, basicAuth));
}

export async function requestIamToken(
  entry: LoginEntry,
  form: Record<string, string>,
  context: IssueContext,
  basicAuth?: string,
): Promise<IamTokens> {
  registerSecret(form.apikey ?? form.refresh_token); // IAM may echo it in an error
  const endpoint = iamEndpoint(entry, context.config);
  const url = assertSafeEndpoint(`${endpoint.replace(/\/+$/, '')}/identity/token`, 'the IAM endpoint');
  const issuedAt = Date.now();
  const response = await httpFetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Accept: 'application/json',
      ...(basicAuth ? { Authorization: `Basic ${Buffer.from(basicAuth).toString('base64')}` } : {}),
    },
    body: new URLSearchParams({ ...form, response_type: 'cloud_iam' }).toString(),
    ...(entry.options?.caFile ? { ca: readCaBundle(entry.options.caFile) } : {}),
    ...(context.timeoutMs ? { timeoutMs: context.timeoutMs } : {}),
  });
  const service = `IBM Cloud IAM at ${url.origin}`;
  const { status } = response;
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfter(header(response, 'retry-after'));
    const detail = `answered ${status} (${describeIamError(response.body)})`;
    throw new ServiceRefusedError(service, detail, { status, permanent: false, retryAfterMs });
  }
  if (status !== 200) {
    const detail =
      `refused the exchange with ${status} (${describeIamError(response.body)}); ` +
      'if the key was deleted or revoked, create a new one and log in again: ' +
      `docker login -u ${entry.username} ${entry.server}`;
    throw new ServiceRefusedError(service, detail, { status, permanent: true });
  }
  let body: { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown; expiration?: unknown };
  try {
    body = JSON.parse(response.body);
  } catch {
    throw new ServiceRefusedError(service, 'answered 200 with a body that is not JSON', { status, permanent: false });
  }
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new ServiceRefusedError(service, 'answered without an access_token', { status, permanent: false });
  }
  return {
    accessToken: body.access_token,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    issuedAt,
    expiresAt: announcedExpiry(service, body, issuedAt),
  };
}
