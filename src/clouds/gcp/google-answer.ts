// What every Google token service answers besides a token, read the same way for the OAuth token endpoint, STS
// and IAM Credentials: errors in OAuth's shape (`error`, `error_description`) or Google's API shape
// (`error: {code, message, status}`), told apart into "later" (429, 5xx, transient codes; Retry-After honoured)
// and "someone must act" (with the caller's advice); and the access token itself, checked before it goes anywhere.
import { ServiceRefusedError } from '../../errors.js';
import { bodyExcerpt, foreignText, registerSecret } from '../../foreign-text.js';
import { header, type HttpResponse } from '../../http.js';
import { parseRetryAfter } from '../../retry.js';
import { checkedExpiry } from '../provider.js';
import { NOT_THE_SERVICE } from '../source-io.js';

/** Covers Artifact Registry and Container Registry (docker-credential-gcr asks for it too). */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** What google-auth asks of a source credential that only calls IAM Credentials (impersonation). */
export const IAM_SCOPE = 'https://www.googleapis.com/auth/iam';
/** Google's documented lifetime, for an answer without expires_in. */
export const DEFAULT_LIFETIME_MS = 3600_000;
/** `error` codes that mean "later", whatever the status (RFC 6749's, and what Google's front ends send). */
const TRANSIENT_ERRORS = new Set([
  'temporarily_unavailable',
  'server_error',
  'internal_failure',
  'rate_limit_exceeded',
  'UNAVAILABLE',
  'RESOURCE_EXHAUSTED',
  'INTERNAL',
]);
/** An access token goes into an Authorization header: printable ASCII, and not the size of a page. */
const ACCESS_TOKEN = /^[\x21-\x7e]{1,4096}$/;

/** Google's error code and what it said, made safe to show; undefined when the body is neither error shape. */
export function googleError(body: string): { code: string; said: string } | undefined {
  try {
    const { error, error_description: description } = JSON.parse(body) as Record<string, unknown>;
    if (error && typeof error === 'object') {
      const { status, message } = error as Record<string, unknown>;
      if (typeof status !== 'string' || !status) return undefined;
      const code = foreignText(status, 60);
      return { code, said: typeof message === 'string' && message ? `${code}: ${foreignText(message)}` : code };
    }
    if (typeof error !== 'string' || !error) return undefined;
    const code = foreignText(error, 60);
    return {
      code,
      said: typeof description === 'string' && description ? `${code}: ${foreignText(description)}` : code,
    };
  } catch {
    return undefined;
  }
}

/** What a permanent refusal means and what to do, from Google's code and words. */
export type Advice = (code: string | undefined, said: string) => string;

/**
 * A non-200 answer as one line: retryable for 408, 429, 5xx and transient codes; otherwise permanent, saying that
 * `service` refused `what` and the advice for it.
 */
export function googleRefusal(response: HttpResponse, service: string, what: string, advice: Advice) {
  const { status } = response;
  const error = googleError(response.body);
  const said = error?.said ?? bodyExcerpt(response.body);
  if (status === 408 || status === 429 || status >= 500 || (error && TRANSIENT_ERRORS.has(error.code))) {
    const retryAfterMs = parseRetryAfter(header(response, 'retry-after'));
    return new ServiceRefusedError(service, `answered ${status} (${said})`, { status, permanent: false, retryAfterMs });
  }
  const detail = `refused ${what} with ${status} (${said}): ${advice(error?.code, said)}`;
  return new ServiceRefusedError(service, detail, { status, permanent: true });
}

/** An access token from an answer, registered for redaction; a missing or unusable one is the service's fault. */
export function usableAccessToken(service: string, token: unknown): string {
  if (typeof token !== 'string' || !ACCESS_TOKEN.test(token)) {
    const detail = `answered without a usable access token: ${NOT_THE_SERVICE}`;
    throw new ServiceRefusedError(service, detail, { permanent: false });
  }
  registerSecret(token);
  return token;
}

/** A token a Google service issued, with when (epoch ms). */
export interface GoogleToken {
  accessToken: string;
  issuedAt: number;
  expiresAt: number;
}

/** The 200 answer of an OAuth-style endpoint (token endpoint, STS): `access_token` and `expires_in` (s, or digits). */
export function oauthTokenAnswer(service: string, response: HttpResponse, issuedAt: number): GoogleToken {
  let body: { access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(response.body);
  } catch {
    throw new ServiceRefusedError(service, `answered 200 with a body that is not JSON: ${NOT_THE_SERVICE}`, {
      status: 200,
      permanent: false,
    });
  }
  const accessToken = usableAccessToken(service, body?.access_token);
  const lifetime =
    typeof body.expires_in === 'string' && /^\d+$/.test(body.expires_in) ? Number(body.expires_in) : body.expires_in;
  const expiresAt =
    typeof lifetime === 'number'
      ? checkedExpiry(service, `expires_in ${lifetime}`, issuedAt, issuedAt + lifetime * 1000)
      : issuedAt + DEFAULT_LIFETIME_MS;
  return { accessToken, issuedAt, expiresAt };
}
