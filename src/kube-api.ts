// The small part of the Kubernetes API lanyard uses, with Bearer auth and an optional
// CA bundle; shared by the OpenShift provider and pull-secret integrations.
import { ServiceRefusedError } from './errors.js';
import { bodyExcerpt, foreignText, registerSecret } from './foreign-text.js';
import { assertSafeEndpoint, header, httpFetch, readCaBundle, type HttpResponse } from './http.js';
import { parseRetryAfter } from './retry.js';

export interface KubeTarget {
  apiServer: string;
  token: string;
  caFile?: string;
  timeoutMs?: number;
}

/** Kubernetes errors come as a Status object whose `message` says what went wrong; made safe to show and store. */
function statusMessage(response: HttpResponse): string {
  try {
    const status = JSON.parse(response.body) as { message?: unknown };
    if (typeof status.message === 'string' && status.message) return foreignText(status.message);
  } catch {
    /* not a Status */
  }
  return bodyExcerpt(response.body);
}

export async function kubeRequest(
  target: KubeTarget,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
): Promise<unknown> {
  const url = assertSafeEndpoint(`${target.apiServer.replace(/\/+$/, '')}${path}`, 'the Kubernetes API server');
  registerSecret(target.token); // a Status message may echo it
  const response = await httpFetch(url, {
    method,
    headers: {
      Authorization: `Bearer ${target.token}`,
      Accept: 'application/json',
      ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    ...(target.caFile ? { ca: readCaBundle(target.caFile) } : {}),
    ...(target.timeoutMs ? { timeoutMs: target.timeoutMs } : {}),
  });
  const service = `the Kubernetes API at ${url.origin}`;
  const { status } = response;
  if (status >= 200 && status < 300) {
    try {
      return JSON.parse(response.body);
    } catch {
      throw new ServiceRefusedError(service, `answered ${status} with a body that is not JSON`, {
        status,
        permanent: false,
      });
    }
  }
  const retryable = status === 429 || status >= 500;
  throw new ServiceRefusedError(service, `answered ${status} for ${method} ${path}: ${statusMessage(response)}`, {
    status,
    permanent: !retryable,
    ...(retryable ? { retryAfterMs: parseRetryAfter(header(response, 'retry-after')) } : {}),
  });
}
