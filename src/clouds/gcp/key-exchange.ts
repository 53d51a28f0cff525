// The grants of Google's two key files at their token_uri (docs/wire-clouds.md §2.2, §2.3): a service-account key
// signs a JWT-bearer assertion, an `authorized_user` file trades its refresh token. Permanent refusals say what
// they mean for that file (a deleted key, a revoked token, a wrong clock) and how to log in again.
import { ask } from '../source-io.js';
import type { IssueContext, LoginEntry } from '../provider.js';
import { CLOUD_PLATFORM_SCOPE, type GoogleToken, googleRefusal, oauthTokenAnswer } from './google-answer.js';
import { type GoogleCredential, signedAssertion } from './google-key.js';
import { isGoogleRegistry } from './hosts.js';

const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

function grantForm(credential: GoogleCredential, scope: string): Record<string, string> {
  if (credential.type === 'service_account') {
    return { grant_type: JWT_BEARER_GRANT, assertion: signedAssertion(credential, Date.now(), scope) };
  }
  return {
    grant_type: 'refresh_token',
    client_id: credential.clientId,
    client_secret: credential.clientSecret,
    refresh_token: credential.refreshToken,
  };
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

/**
 * The grant of a key file (stored, or an ADC file a source found) at its token_uri; `scope` is what a service
 * account's assertion asks for (cloud-platform, or IAM alone when it only impersonates another account).
 */
export async function exchangeKey(
  entry: LoginEntry,
  credential: GoogleCredential,
  context: IssueContext,
  scope = CLOUD_PLATFORM_SCOPE,
): Promise<GoogleToken> {
  const issuedAt = Date.now();
  const service = `Google's token endpoint at ${credential.tokenUrl.origin}`;
  const request = {
    method: 'POST' as const,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams(grantForm(credential, scope)).toString(),
    ...(context.timeoutMs ? { timeoutMs: context.timeoutMs } : {}),
  };
  const response = await ask(service, credential.tokenUrl, request, 'check the network, or the token_uri of the key');
  if (response.status !== 200) {
    const what = credential.type === 'service_account' ? `the key of ${credential.clientEmail}` : 'the refresh token';
    throw googleRefusal(response, service, what, (code, said) => advice(code, said, credential, entry));
  }
  return oauthTokenAnswer(service, response, issuedAt);
}
