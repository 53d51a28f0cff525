// IBM Cloud IAM's token endpoint (reference §4.1), shared by the API-key and the
// refresh-token kinds. Errors are classified: 400/401 (BXNIM… codes) are permanent,
// 429 and 5xx are worth retrying.
import { assertSafeEndpoint, header, httpFetch, readCaBundle } from '../http.js';
import type { MappingEntry } from '../mapping/types.js';
import { ProviderError } from './provider.js';
import { parseRetryAfter } from './retry.js';

export const DEFAULT_IAM_ENDPOINT = 'https://iam.cloud.ibm.com';

export interface IamTokens {
  accessToken: string;
  refreshToken?: string;
  issuedAt: number;
  expiresAt: number;
}

export function iamEndpoint(entry: MappingEntry): string {
  return entry.options?.iamEndpoint ?? process.env.LANYARD_IAM_ENDPOINT ?? DEFAULT_IAM_ENDPOINT;
}

function describeIamError(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errorCode?: string; errorMessage?: string };
    if (parsed.errorMessage) return parsed.errorCode ? `${parsed.errorCode}: ${parsed.errorMessage}` : parsed.errorMessage;
  } catch { /* not JSON */ }
  return body.slice(0, 120).replace(/\s+/g, ' ') || 'no details';
}

export async function requestIamToken(entry: MappingEntry, form: Record<string, string>, basicAuth?: string, timeoutMs?: number): Promise<IamTokens> {
  const endpoint = iamEndpoint(entry);
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
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  if (response.status === 429 || response.status >= 500) {
    const retryAfterMs = parseRetryAfter(header(response, 'retry-after'));
    throw new ProviderError(`IBM Cloud IAM at ${url.origin} answered ${response.status} (${describeIamError(response.body)})`, false, retryAfterMs);
  }
  if (response.status !== 200) {
    throw new ProviderError(`IBM Cloud IAM at ${url.origin} refused the exchange with ${response.status} (${describeIamError(response.body)}); `
      + `if the key was deleted or revoked, create a new one and log in again: docker login -u ${entry.username} ${entry.server}`, true);
  }
  let body: { access_token?: unknown; refresh_token?: unknown; expires_in?: unknown; expiration?: unknown };
  try {
    body = JSON.parse(response.body);
  } catch {
    throw new ProviderError(`IBM Cloud IAM at ${url.origin} answered 200 with a body that is not JSON`, false);
  }
  if (typeof body.access_token !== 'string' || body.access_token === '') {
    throw new ProviderError(`IBM Cloud IAM at ${url.origin} answered without an access_token`, false);
  }
  // expires_in is relative, so it is immune to clock skew; `expiration` is the server's clock.
  const expiresAt = typeof body.expires_in === 'number' ? issuedAt + body.expires_in * 1000
    : typeof body.expiration === 'number' ? body.expiration * 1000 : issuedAt + 3600_000;
  return {
    accessToken: body.access_token,
    ...(typeof body.refresh_token === 'string' ? { refreshToken: body.refresh_token } : {}),
    issuedAt,
    expiresAt,
  };
}
