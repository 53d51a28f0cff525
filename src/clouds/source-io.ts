// What every identity source shares: asking a metadata service or a token service through http.ts with a
// deadline that fits it, turning its answer into a typed value or one line naming the service, reading the
// token files a platform mounts, and believing a service's word on expiry only as far as service-limits.ts says.
// Metadata services live on the host's link (169.254.169.254, metadata.google.internal) and speak plain HTTP by
// design; the remote token services (STS, Entra, IAM) must use HTTPS except on loopback (assertSafeEndpoint).
import { readFileSync } from 'node:fs';
import { ServiceRefusedError, TransportError, UserError } from '../errors.js';
import { bodyExcerpt, registerSecret } from '../foreign-text.js';
import { assertSafeEndpoint, httpFetch, RedirectRefusedError, type HttpOptions, type HttpResponse } from '../http.js';
import { boundedExpiry, CLOCK_HINT, isoTime, unusableLifetime } from '../service-limits.js';
import { Field, parseJson } from '../validate.js';

/** A metadata service answers in milliseconds or is not there: a second is generous, and keeps `auto` fast. */
export const METADATA_TIMEOUT_MS = 1000;
/** A remote token service (STS, Entra, IAM) on a slow network. */
export const TOKEN_SERVICE_TIMEOUT_MS = 10_000;
/** The fix when an answer is not what the service sends: the address may be some other server. */
export const NOT_THE_SERVICE = 'is that address the service? Check the option or variable that names it';
/** Token files are a few kilobytes (a JWT); anything much larger is not one. */
const TOKEN_FILE_MAX_BYTES = 64 * 1024;

/** What every source answers besides its cloud's credential: whom it proves, and until when (epoch ms). */
export interface SourceIdentity {
  /** Who the credential belongs to, for `doctor` and `ls` (a role ARN, an e-mail, a client id); never secret. */
  identity: string;
  /** When the credential stops working; absent for long-term keys. */
  expiresAt?: number;
}

/**
 * Sends one request to a service; a transport failure or a redirect becomes one line naming the service and what
 * to check. `where` is the service's name and origin as shown to people, e.g. "the EC2 instance metadata service
 * at http://…".
 */
export async function ask(where: string, url: URL, options: HttpOptions, hint: string): Promise<HttpResponse> {
  try {
    return await httpFetch(url, options);
  } catch (error) {
    if (error instanceof RedirectRefusedError) throw new UserError(`${where} ${error.detail}`);
    if (!(error instanceof TransportError)) throw error;
    throw new TransportError(`${where} did not answer: ${error.message} (${hint})`);
  }
}

/** A form POST to a remote token service (`ask`), asking for JSON, within `timeoutMs` (default 10 s). */
export function postForm(
  where: string,
  url: URL,
  form: Record<string, string>,
  request: { timeoutMs?: number | undefined; hint: string },
): Promise<HttpResponse> {
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' };
  const body = new URLSearchParams(form).toString();
  const timeoutMs = request.timeoutMs ?? TOKEN_SERVICE_TIMEOUT_MS;
  return ask(where, url, { method: 'POST', headers, body, timeoutMs }, request.hint);
}

/**
 * A metadata GET that must answer 200. A 404 means nothing is attached to this machine (no instance role, no
 * service account): permanent, and `missing` says what and what to do. `path` names the request in other refusals.
 */
export async function metadataGet(
  where: string,
  url: URL,
  options: HttpOptions,
  hint: string,
  request: { path: string; missing: string },
): Promise<HttpResponse> {
  const answer = await ask(where, url, options, hint);
  if (answer.status === 404) {
    throw new ServiceRefusedError(where, `answered 404 ${request.missing}`, { status: 404, permanent: true });
  }
  if (answer.status !== 200) throw refused(where, answer, `for ${request.path}`);
  return answer;
}

/** A remote token service's URL, refused unless it is HTTPS (or loopback, for the stand-ins). */
export const tokenServiceUrl = (url: string, what: string): URL => assertSafeEndpoint(url, what);

/** A metadata endpoint from a setting: any http(s) URL (they are plain HTTP on the host's link by design). */
export function metadataUrl(base: string, path: string, setting: string): URL {
  let url: URL;
  try {
    url = path ? new URL(path, base.endsWith('/') ? base : `${base}/`) : new URL(base);
  } catch {
    throw new UserError(`${setting} is not a valid URL: ${JSON.stringify(base.slice(0, 100))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`${setting} must be an http or https URL, not ${url.protocol}`);
  }
  return url;
}

/** A refusal by HTTP status: 4xx (but 429) is permanent until someone acts, 429 and 5xx are worth retrying. */
export function refused(where: string, response: HttpResponse, what: string): ServiceRefusedError {
  const { status } = response;
  const permanent = status >= 400 && status < 500 && status !== 429;
  return new ServiceRefusedError(where, `answered ${status} ${what}: ${bodyExcerpt(response.body)}`, {
    status,
    permanent,
  });
}

/** The answer's JSON read by `read`; a body that is not the expected shape is the service's fault, said so. */
export function readAnswer<T>(where: string, response: HttpResponse, read: (answer: Field) => T): T {
  try {
    return read(Field.root('the answer', parseJson(response.body)));
  } catch (error) {
    if (!(error instanceof SyntaxError) && !(error instanceof UserError)) throw error;
    const problem = error instanceof SyntaxError ? `not JSON: ${bodyExcerpt(response.body)}` : error.message;
    const detail = `answered ${response.status} with an unusable body (${problem}): ${NOT_THE_SERVICE}`;
    throw new ServiceRefusedError(where, detail, {
      status: response.status,
      permanent: false,
    });
  }
}

/** A secret in an answer: registered for redaction before anything can print it. */
export function secretField(field: Field): string {
  const value = field.nonEmptyString();
  registerSecret(value);
  return value;
}

/**
 * An expiry as a service stated it, believed as far as service-limits.ts allows: refused when the credential
 * would die before anyone could use it, shortened to a day when it claims to live longer.
 */
export function believedExpiry(where: string, expiresAt: number, issuedAt = Date.now()): number {
  const problem = unusableLifetime(issuedAt, expiresAt);
  if (problem) {
    const detail = `answered a credential with ${problem} (expiry ${isoTime(expiresAt)}): ${CLOCK_HINT}`;
    throw new ServiceRefusedError(where, detail, {
      permanent: false,
    });
  }
  return boundedExpiry(issuedAt, expiresAt);
}

/** Epoch ms from an expiry given as seconds since the epoch, a number or a string of digits (Azure's expires_on). */
export function epochSeconds(value: unknown): number {
  const seconds = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
  return typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : Number.NaN;
}

/** A small file's text; a larger one is an error (the fs error's `code`, or "larger than N bytes"). */
export function readCappedFile(path: string, maxBytes: number): string {
  const bytes = readFileSync(path);
  if (bytes.length > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
  return bytes.toString('utf8');
}

/**
 * A token file a platform mounts (a projected service-account token, a CI job's OIDC token): read at each use,
 * since the kubelet rewrites it before it expires. `setting` names where the path came from, for the fix.
 */
export function readTokenFile(path: string, what: string, setting: string): string {
  let text: string;
  try {
    text = readCappedFile(path, TOKEN_FILE_MAX_BYTES).trim();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UserError(`cannot read the ${what} ${path} (${setting}): ${reason}`);
  }
  if (!text) throw new UserError(`the ${what} ${path} (${setting}) is empty`);
  registerSecret(text);
  return text;
}
