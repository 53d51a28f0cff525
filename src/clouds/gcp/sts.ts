// Google's Security Token Service (https://sts.googleapis.com/v1/token, RFC 8693), as google-auth calls it: the
// token exchange of an `external_account` (a subject token for a federated access token) and the refresh grant
// of an `external_account_authorized_user` (at its token_url). A form POST; the client, when the file names
// one, authenticates with HTTP Basic; errors are OAuth's (`error`, `error_description`).
import { ask } from '../source-io.js';
import type { IssueContext } from '../provider.js';
import type { ExternalAccount, ExternalAccountUser } from './adc-file.js';
import { type Advice, type GoogleToken, googleRefusal, oauthTokenAnswer } from './google-answer.js';

const TOKEN_EXCHANGE_GRANT = 'urn:ietf:params:oauth:grant-type:token-exchange';
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token';

/** Python's urllib.parse.quote, as google-auth encodes what STS reads: all but letters, digits, `_.-~/` escaped. */
export const pythonQuote = (text: string): string =>
  encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

async function post(
  url: URL,
  form: Record<string, string>,
  client: { id: string; secret: string } | undefined,
  context: IssueContext,
  refusal: { what: string; advice: Advice },
): Promise<GoogleToken> {
  const issuedAt = Date.now();
  const service = `Google STS at ${url.origin}`;
  const request = {
    method: 'POST' as const,
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      ...(client ? { Authorization: basic(client.id, client.secret) } : {}),
    },
    body: new URLSearchParams(form).toString(),
    ...(context.timeoutMs ? { timeoutMs: context.timeoutMs } : {}),
  };
  const response = await ask(service, url, request, 'check the network, or the token_url of the ADC file');
  if (response.status !== 200) throw googleRefusal(response, service, refusal.what, refusal.advice);
  return oauthTokenAnswer(service, response, issuedAt);
}

/** What STS's token exchange reads of an external account (a pod's identity builds one without a file). */
export type StsExchange = Pick<
  ExternalAccount,
  'audience' | 'subjectTokenType' | 'tokenUrl' | 'client' | 'userProject'
>;

function exchangeAdvice(account: StsExchange, file: string): Advice {
  return (code) => {
    if (code === 'invalid_client') return `the client_id or client_secret in ${file} is wrong`;
    if (code === 'invalid_target' || code === 'invalid_request') {
      return `check the audience and subject_token_type in ${file} against the pool provider (${account.audience})`;
    }
    return (
      `the workload identity pool provider ${account.audience} does not accept this token ` +
      `(its issuer, audience, attribute condition or expiry): fix the provider or the token source in ${file}`
    );
  };
}

/** The subject token traded for a Google access token with `scope` (space-separated). */
export function exchangeSubjectToken(
  account: StsExchange,
  subjectToken: string,
  scope: string,
  file: string,
  context: IssueContext,
): Promise<GoogleToken> {
  const form: Record<string, string> = {
    grant_type: TOKEN_EXCHANGE_GRANT,
    audience: account.audience,
    scope,
    requested_token_type: ACCESS_TOKEN_TYPE,
    subject_token: subjectToken,
    subject_token_type: account.subjectTokenType,
    // google-auth quotes Python's json.dumps of the options before the form encodes them again.
    ...(account.userProject ? { options: pythonQuote(`{"userProject": ${JSON.stringify(account.userProject)}}`) } : {}),
  };
  const what = `the subject token of ${file}`;
  return post(account.tokenUrl, form, account.client, context, { what, advice: exchangeAdvice(account, file) });
}

/** A workforce user's refresh token traded at the file's token_url. */
export function refreshExternalUser(
  user: ExternalAccountUser,
  file: string,
  context: IssueContext,
): Promise<GoogleToken> {
  const form = { grant_type: 'refresh_token', refresh_token: user.refreshToken };
  const client = { id: user.clientId, secret: user.clientSecret };
  const advice: Advice = (code) =>
    code === 'invalid_client'
      ? `the client_id or client_secret in ${file} is wrong`
      : 'the refresh token expired or was revoked: sign in again ' +
        `(gcloud auth application-default login --login-config=…) to renew ${file}`;
  return post(user.tokenUrl, form, client, context, { what: `the refresh token of ${file}`, advice });
}
