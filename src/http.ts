// The one way lanyard talks HTTP: node:http(s) (runs the same under Node and Bun,
// and takes a per-request CA bundle, which global fetch cannot without undici),
// with a hard timeout, a bounded response size, and HTTPS required except for
// loopback addresses (test stand-ins).
import { processRole } from './process-role.js';
import { type ClientRequest, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { TransportError, UserError } from './errors.js';
import { foreignText, quoted } from './foreign-text.js';
import { VERSION } from './version.js';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface HttpOptions {
  method?: 'GET' | 'POST' | 'PUT';
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** PEM bundle that replaces the system roots for this request (private API servers). */
  ca?: string;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

/** Rejects plain-HTTP endpoints for anything but loopback: tokens and keys cross these wires. */
export function assertSafeEndpoint(url: string, what: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${what} is not a valid URL: ${quoted(url)}`);
  }
  if (parsed.protocol === 'https:' || (parsed.protocol === 'http:' && isLoopback(parsed.hostname))) return parsed;
  throw new UserError(`${what} must use https (plain http is allowed only on loopback): ${parsed.origin}`);
}

/** A CA bundle (`login --ca-file`), read when it is used, so a renewed bundle takes effect at once. */
export function readCaBundle(caFile: string): string {
  let text: string;
  try {
    text = readFileSync(caFile, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read the CA bundle ${caFile}: ${(error as Error).message}`);
  }
  if (!text.includes('-----BEGIN CERTIFICATE-----')) {
    throw new UserError(`the CA bundle ${caFile} holds no PEM certificate`);
  }
  return text;
}

/** Who is asking: lets servers (and our test stand-ins) tell the daemon's refreshes from inline ones. */
export const userAgent = () => `lanyard/${VERSION} (${processRole()})`;

function describeTransportError(url: URL, error: Error, withCa: boolean): TransportError {
  if (error instanceof TransportError) return error;
  // Certificate problems usually mean a private CA: say how to trust it.
  const hint = withCa
    ? 'the CA bundle given with --ca-file does not vouch for this server'
    : 'for a private CA, log in again with --ca-file BUNDLE.pem';
  const certificate = /certificate|self.signed|unable to verify/i.test(error.message) ? ` (${hint})` : '';
  return new TransportError(`cannot reach ${url.origin}: ${error.message}${certificate}`);
}

/**
 * What the request itself cannot carry (a header value with a line break, a CA bundle the TLS stack rejects) is
 * refused by Node and Bun before anything is sent: a stored value to fix, not a network problem.
 */
function unsendable(url: URL, error: Error, withCa: boolean): UserError {
  let hint = '';
  if (/header content/i.test(error.message))
    hint = ' (a stored token or key holds a character no HTTP header may carry, such as a line break: store it again)';
  else if (withCa) hint = ' (check the CA bundle given with --ca-file)';
  return new UserError(`cannot send a request to ${url.origin}: ${error.message}${hint}`);
}

/**
 * A redirect is never followed: a secret goes only where the login said. It means a wrong endpoint (or a proxy
 * in the way), not a revoked key, so it is named as what it is, with where it pointed (origin only); `detail`
 * lets a caller that knows the service's name say it in place of the bare origin.
 */
export class RedirectRefusedError extends UserError {
  constructor(
    url: URL,
    readonly detail: string,
  ) {
    super(`${url.origin} ${detail}`);
    this.name = 'RedirectRefusedError';
  }
}

function redirected(url: URL, status: number, location: string): RedirectRefusedError {
  let target: string;
  try {
    target = foreignText(new URL(location, url).origin, 120);
  } catch {
    target = 'an address that is not a URL';
  }
  return new RedirectRefusedError(
    url,
    `answered ${status}, a redirect to ${target}, which lanyard does not follow: ` +
      'check the endpoint (the login option or override variable that names it)',
  );
}

export function httpFetch(url: URL, options: HttpOptions = {}): Promise<HttpResponse> {
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const timeoutMs = options.timeoutMs ?? 15_000;
  let req: ClientRequest;
  try {
    req = send(url, {
      method: options.method ?? 'GET',
      headers: {
        'User-Agent': userAgent(),
        ...options.headers,
        ...(options.body !== undefined ? { 'Content-Length': Buffer.byteLength(options.body) } : {}),
      },
      ...(options.ca ? { ca: options.ca } : {}),
    });
  } catch (error) {
    return Promise.reject(unsendable(url, error as Error, options.ca !== undefined));
  }
  return new Promise((resolve, reject) => {
    // Settles exactly once, whichever comes first: the body, a transport error on the
    // request or the response (a reset mid-body is reported only there), or the timeout.
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: Error) => {
      finish(() => reject(describeTransportError(url, error, options.ca !== undefined)));
      req.destroy();
    };
    const timer = setTimeout(
      () => fail(new TransportError(`no answer from ${url.origin} within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location !== undefined) {
        finish(() => reject(redirected(url, status, res.headers.location!)));
        req.destroy();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_RESPONSE_BYTES) fail(new TransportError(`response from ${url.origin} is larger than 1 MiB`));
        else chunks.push(chunk);
      });
      res.on('end', () =>
        finish(() =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        ),
      );
      res.on('aborted', () =>
        fail(new TransportError(`the connection to ${url.origin} dropped in the middle of the answer`)),
      );
      res.on('error', (error) => fail(error));
      res.on('close', () => {
        if (!res.complete)
          fail(new TransportError(`the connection to ${url.origin} dropped in the middle of the answer`));
      });
    });
    req.on('error', (error) => fail(error));
    req.end(options.body);
  });
}

export function header(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
