// Google Artifact Registry and Container Registry (docs/wire-clouds.md §2): a service-account key (signed
// JWT-bearer grant) or an `authorized_user` file (refresh-token grant) becomes a 1-hour OAuth access token at the
// file's token_uri, answered as `oauth2accesstoken`: the key itself never reaches a client process. With an
// identity source, an ADC file takes the same exchange and the metadata server's access token is the answer.
import { ServiceRefusedError } from '../../errors.js';
import { bodyExcerpt, foreignText } from '../../foreign-text.js';
import { type HttpResponse, header, httpFetch } from '../../http.js';
import type { LoginEntry } from '../provider.js';
import {
  acceptGoogleLogin,
  credentialOwner,
  type GoogleCredential,
  readGoogleCredential,
  signedAssertion,
} from './google-key.js';
import { isGoogleRegistry } from './hosts.js';
import type { GoogleCredential as GoogleSourceCredential } from './sources.js';
import { checkedExpiry, credentialOf, type IssueContext, type IssuedCredential, type Provider } from '../provider.js';
import { parseRetryAfter } from '../../retry.js';

/** The username Google's registries take with an access token as the password. */
const ACCESS_TOKEN_USERNAME = 'oauth2accesstoken';
const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
/** Google's documented lifetime, for an answer without expires_in. */
const DEFAULT_LIFETIME_MS = 3600_000;
/** `error` codes that mean "later", whatever the status (RFC 6749's, and what Google's front ends send). */
const TRANSIENT_ERRORS = new Set([
  'temporarily_unavailable',
  'server_error',
  'internal_failure',
  'rate_limit_exceeded',
]);
/** An access token goes into an Authorization header: printable ASCII, and not the size of a page. */
const ACCESS_TOKEN = /^[\x21-\x7e]{1,4096}$/;

function grantForm(credential: GoogleCredential): Record<string, string> {
  if (credential.type === 'service_account') {
    return { grant_type: JWT_BEARER_GRANT, assertion: signedAssertion(credential) };
  }
  return {
    grant_type: 'refresh_token',
    client_id: credential.clientId,
    client_secret: credential.clientSecret,
    refresh_token: credential.refreshToken,
  };
}

/** Google's `error` and `error_description`, made safe to show; undefined when the body is not that JSON. */
function googleError(body: string): { code: string; said: string } | undefined {
  try {
    const { error, error_description: description } = JSON.parse(body) as Record<string, unknown>;
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

function reloginCommand(entry: LoginEntry): string {
  const implied = isGoogleRegistry(entry.server) ? '' : ' --kind gcp';
  return `docker-credential-lanyard login ${entry.server}${implied} --password-stdin < key.json`;
}

/** What a permanent refusal means for this kind of file, and what to do. */
function advice(code: string | undefined, said: string, credential: GoogleCredential, entry: LoginEntry): string {
  const relogin = reloginCommand(entry);
  const serviceAccount = credential.type === 'service_account';
  if (code === 'invalid_grant' && serviceAccount && /\biat\b|\bexp\b|timeframe/i.test(said))
    return "this machine's clock is probably wrong: set it right (e.g. timedatectl set-ntp true) and try again";
  if (code === 'invalid_grant' && serviceAccount)
    return (
      'the key was deleted or disabled, or its service account was (or this clock is far off); ' +
      `create a new key and log in again: ${relogin}`
    );
  if (code === 'invalid_grant')
    return (
      'the refresh token expired or was revoked; sign in again (gcloud auth application-default login) ' +
      `and log in with the new file: ${relogin}`
    );
  if (code === 'invalid_client')
    return `the file's client_id or client_secret is wrong, or its OAuth client was deleted; log in again: ${relogin}`;
  if (code === 'unauthorized_client')
    return `this client may not use this grant (is the account disabled?); fix it in the Cloud console or: ${relogin}`;
  return `log in again with a valid key file: ${relogin}`;
}

function refusal(response: HttpResponse, service: string, credential: GoogleCredential, entry: LoginEntry) {
  const { status } = response;
  const error = googleError(response.body);
  const said = error?.said ?? bodyExcerpt(response.body);
  if (status === 408 || status === 429 || status >= 500 || (error && TRANSIENT_ERRORS.has(error.code))) {
    const retryAfterMs = parseRetryAfter(header(response, 'retry-after'));
    return new ServiceRefusedError(service, `answered ${status} (${said})`, { status, permanent: false, retryAfterMs });
  }
  const what = credential.type === 'service_account' ? `the key of ${credential.clientEmail}` : 'the refresh token';
  const detail = `refused ${what} with ${status} (${said}): ${advice(error?.code, said, credential, entry)}`;
  return new ServiceRefusedError(service, detail, { status, permanent: true });
}

function accessTokenAnswer(token: string, issuedAt: number, expiresAt: number, identity?: string): IssuedCredential {
  return { username: ACCESS_TOKEN_USERNAME, secret: token, issuedAt, expiresAt, ...(identity ? { identity } : {}) };
}

/** The grant of a key file (stored, or an ADC file a source found) at its token_uri. */
async function exchangeKey(
  entry: LoginEntry,
  credential: GoogleCredential,
  context: IssueContext,
): Promise<IssuedCredential> {
  const issuedAt = Date.now();
  const response = await httpFetch(credential.tokenUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(grantForm(credential)).toString(),
    ...(context.timeoutMs ? { timeoutMs: context.timeoutMs } : {}),
  });
  const service = `Google's token endpoint at ${credential.tokenUrl.origin}`;
  if (response.status !== 200) throw refusal(response, service, credential, entry);
  let body: { access_token?: unknown; expires_in?: unknown };
  try {
    body = JSON.parse(response.body);
  } catch {
    throw new ServiceRefusedError(service, 'answered 200 with a body that is not JSON', {
      status: 200,
      permanent: false,
    });
  }
  const { access_token: token, expires_in: lifetime } = body;
  if (typeof token !== 'string' || !ACCESS_TOKEN.test(token)) {
    throw new ServiceRefusedError(service, 'answered without a usable access_token', {
      status: 200,
      permanent: false,
    });
  }
  const expiresAt =
    typeof lifetime === 'number'
      ? checkedExpiry(service, `expires_in ${lifetime}`, issuedAt, issuedAt + lifetime * 1000)
      : issuedAt + DEFAULT_LIFETIME_MS;
  return accessTokenAnswer(token, issuedAt, expiresAt, credentialOwner(credential));
}

export const gcpProvider: Provider = {
  acceptLogin: acceptGoogleLogin,

  async issue(entry, secret, context) {
    return exchangeKey(entry, readGoogleCredential(secret, `the Google key file stored for ${entry.server}`), context);
  },

  async issueFromSource(entry, source, context) {
    const found = credentialOf<GoogleSourceCredential>(source, 'gcp');
    if (found.kind === 'key-file') {
      return exchangeKey(entry, readGoogleCredential(found.keyFile, `the ADC file ${found.path}`), context);
    }
    if (!ACCESS_TOKEN.test(found.accessToken)) {
      throw new ServiceRefusedError(`the ${source.name} source`, 'answered an access token that is not usable', {
        permanent: false,
      });
    }
    return accessTokenAnswer(found.accessToken, Date.now(), found.expiresAt, found.identity);
  },
};
