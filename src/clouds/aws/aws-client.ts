// The AWS calls the ECR provider makes (docs/wire-clouds.md §1.3–1.7): ECR and ECR Public
// GetAuthorizationToken (JSON 1.1) and STS AssumeRole (query protocol, XML answer), signed with SigV4 by aws4.
// Errors are classified by AWS's error code (`__type`, `<Code>`), never by the HTTP status: AWS throttles with
// 400, and the same code comes with 400 or 403 depending on the service.
import { ServiceRefusedError } from '../../errors.js';
import { foreignText, registerSecret } from '../../foreign-text.js';
import { header, httpFetch, type HttpResponse } from '../../http.js';
import type { RoleToAssume } from './credential.js';
import { xmlText } from './web-identity.js';
import { checkedExpiry } from '../provider.js';
import { parseRetryAfter } from '../../retry.js';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** One AWS API at one endpoint: what the signature scope names, and who is named in errors. */
export interface AwsApi {
  /** The SigV4 service name: `ecr`, `ecr-public`, `sts`. */
  signingName: string;
  region: string;
  endpoint: URL;
  /** For messages: "Amazon ECR at https://…". */
  label: string;
}

/** How to read a refusal for the person who must act on it. */
export interface RefusalContext {
  /** The IAM action the principal needs, named when AWS says access is denied. */
  permission: string;
  /** The command that stores a new key. */
  relogin: string;
}

const ECR_TARGET = 'AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken';
const ECR_PUBLIC_TARGET = 'SpencerFrontendService.GetAuthorizationToken';
const JSON_CONTENT_TYPE = 'application/x-amz-json-1.1';
/** Documented lifetime of an ECR authorization token, for an answer that leaves `expiresAt` out. */
const ECR_TOKEN_LIFETIME_MS = 12 * 3600_000;

/** Codes a retry may get past: throttling, server trouble, and a role session that ran out meanwhile. */
const TRANSIENT_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ServerException',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ExpiredTokenException',
  'ExpiredToken',
]);

async function signedPost(
  api: AwsApi,
  credentials: AwsCredentials,
  headers: Record<string, string>,
  body: string,
  timeoutMs?: number,
): Promise<HttpResponse> {
  const aws4 = (await import('aws4')).default; // ~8 ms: only on the exchange path, never on a cached `get`
  const path = `${api.endpoint.pathname}${api.endpoint.search}` || '/';
  // aws4 fills in the options object it is given: a fresh one per request. With an endpoint override the
  // override's host is signed, while the scope keeps the real service and region.
  const signed = aws4.sign(
    {
      host: api.endpoint.host,
      path,
      method: 'POST',
      service: api.signingName,
      region: api.region,
      headers: { ...headers, Host: api.endpoint.host },
      body,
    },
    { ...credentials },
  );
  const sent: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers ?? {})) {
    if (value !== undefined) sent[name] = String(value);
  }
  return httpFetch(api.endpoint, { method: 'POST', headers: sent, body, ...(timeoutMs ? { timeoutMs } : {}) });
}

/** The error code and message of a JSON 1.1 (`__type`) or query-protocol (`<Code>`) error answer. */
export function awsError(response: HttpResponse): { code: string; message: string } {
  let code = '';
  let message = '';
  try {
    const parsed = JSON.parse(response.body) as { __type?: unknown; message?: unknown; Message?: unknown };
    if (typeof parsed.__type === 'string') code = parsed.__type;
    const text = parsed.message ?? parsed.Message;
    if (typeof text === 'string') message = text;
  } catch {
    code = xmlText(response.body, 'Code');
    message = xmlText(response.body, 'Message');
  }
  code ||= header(response, 'x-amzn-errortype') ?? '';
  // `aws.protocols#Code:http://…` → `Code`, as the SDKs strip namespace and URL.
  code = code.replace(/^.*#/, '').replace(/:.*$/, '');
  return { code: /^[A-Za-z0-9.]{1,100}$/.test(code) ? code : '', message };
}

/** What to do about a code, in the user's words; '' when AWS's own message says enough. */
function advice(code: string, message: string, accessKeyId: string, context: RefusalContext): string {
  switch (code) {
    case 'UnrecognizedClientException':
    case 'InvalidClientTokenId':
      return (
        `the access key ${accessKeyId} is wrong, deleted or deactivated: ` +
        `create a new key and log in again: ${context.relogin}`
      );
    case 'InvalidSignatureException':
    case 'SignatureDoesNotMatch':
      if (/Signature expired|not yet current/i.test(message))
        return "this machine's clock is off by more than 5 minutes: fix the clock (enable time sync)";
      if (/scoped to/i.test(message)) return 'the region or endpoint does not fit this registry: check --region';
      return (
        `the secret access key does not belong to ${accessKeyId}: ` +
        `log in again with the right one: ${context.relogin}`
      );
    case 'AccessDeniedException':
    case 'AccessDenied':
      return `the identity needs the IAM permission ${context.permission}: grant it, or use another key`;
    case 'ExpiredTokenException':
    case 'ExpiredToken':
      return 'the assumed-role session expired: the next exchange assumes the role again';
    case 'ThrottlingException':
    case 'Throttling':
      return 'AWS is throttling the requests: retried with backoff';
    default:
      return '';
  }
}

function refusal(api: AwsApi, response: HttpResponse, accessKeyId: string, context: RefusalContext) {
  const { status } = response;
  const { code, message } = awsError(response);
  const transient = code ? TRANSIENT_CODES.has(code) || status >= 500 : status === 429 || status >= 500;
  const said = [code, foreignText(message)].filter(Boolean).join(': ') || `HTTP ${status}`;
  const hint = advice(code, message, accessKeyId, context);
  const detail = `refused the request with ${status} (${said})${hint ? `; ${hint}` : ''}`;
  const retryAfterMs = transient ? parseRetryAfter(header(response, 'retry-after')) : undefined;
  return new ServiceRefusedError(api.label, detail, { status, permanent: !transient, retryAfterMs });
}

const broken = (api: AwsApi, status: number, what: string) =>
  new ServiceRefusedError(api.label, `answered ${status} ${what}`, { status, permanent: false });

export interface EcrToken {
  username: string;
  password: string;
  issuedAt: number;
  expiresAt: number;
}

/** GetAuthorizationToken of ECR (a list answered) or ECR Public (one object answered). */
export async function getAuthorizationToken(
  api: AwsApi,
  isPublic: boolean,
  credentials: AwsCredentials,
  context: RefusalContext,
  timeoutMs?: number,
): Promise<EcrToken> {
  const headers = {
    'Content-Type': JSON_CONTENT_TYPE,
    'X-Amz-Target': isPublic ? ECR_PUBLIC_TARGET : ECR_TARGET,
    Accept: JSON_CONTENT_TYPE,
  };
  const issuedAt = Date.now();
  const response = await signedPost(api, credentials, headers, '{}', timeoutMs);
  if (response.status !== 200) throw refusal(api, response, credentials.accessKeyId, context);
  let body: { authorizationData?: unknown };
  try {
    body = JSON.parse(response.body);
  } catch {
    throw broken(api, 200, 'with a body that is not JSON');
  }
  const data = (Array.isArray(body.authorizationData) ? body.authorizationData[0] : body.authorizationData) as
    | { authorizationToken?: unknown; expiresAt?: unknown }
    | undefined;
  const encoded = data?.authorizationToken;
  if (typeof encoded !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) {
    throw broken(api, 200, 'without a base64 authorizationToken');
  }
  // base64 of `AWS:<password>`, split at the first colon.
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const username = decoded.slice(0, Math.max(colon, 0));
  const password = decoded.slice(colon + 1);
  if (!/^[\w.@-]{1,64}$/.test(username) || password === '' || /[\s\u0000-\u001f]/.test(password)) {
    throw broken(api, 200, 'with an authorizationToken that is not `user:password`');
  }
  const { expiresAt } = data!;
  const expiry =
    typeof expiresAt === 'number'
      ? checkedExpiry(api.label, `expiresAt ${expiresAt}, by this machine's clock`, issuedAt, expiresAt * 1000)
      : issuedAt + ECR_TOKEN_LIFETIME_MS;
  return { username, password, issuedAt, expiresAt: expiry };
}

export interface RoleSession extends AwsCredentials {
  sessionToken: string;
  /** Epoch ms. */
  expiresAt: number;
  /** The assumed-role ARN AWS names the session by. */
  arn: string;
}

/** STS AssumeRole with the given keys: temporary credentials for the role (the role's default hour, or as asked). */
export async function assumeRole(
  api: AwsApi,
  credentials: AwsCredentials,
  role: RoleToAssume & { sessionName: string },
  context: RefusalContext,
  timeoutMs?: number,
): Promise<RoleSession> {
  const form = new URLSearchParams({
    Action: 'AssumeRole',
    Version: '2011-06-15',
    RoleArn: role.roleArn,
    RoleSessionName: role.sessionName,
    ...(role.externalId ? { ExternalId: role.externalId } : {}),
    ...(role.durationSeconds ? { DurationSeconds: String(role.durationSeconds) } : {}),
  });
  const headers = { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' };
  const response = await signedPost(api, credentials, headers, form.toString(), timeoutMs);
  if (response.status !== 200) throw refusal(api, response, credentials.accessKeyId, context);
  const field = (name: string) => xmlText(response.body, name);
  const session = {
    accessKeyId: field('AccessKeyId'),
    secretAccessKey: field('SecretAccessKey'),
    sessionToken: field('SessionToken'),
    expiresAt: Date.parse(field('Expiration')),
    arn: field('Arn'),
  };
  registerSecret(session.secretAccessKey);
  registerSecret(session.sessionToken);
  if (!/^[A-Z0-9]{16,128}$/.test(session.accessKeyId) || !session.secretAccessKey || !session.sessionToken) {
    throw broken(api, 200, 'without the role session credentials');
  }
  if (!Number.isFinite(session.expiresAt)) throw broken(api, 200, 'without a readable session Expiration');
  // A session dead on arrival would fail at ECR as an expired key: name STS and the clock instead.
  const expiration = `Expiration ${foreignText(field('Expiration'), 40)}, by this machine's clock`;
  const expiresAt = checkedExpiry(api.label, expiration, Date.now(), session.expiresAt);
  return { ...session, expiresAt, arn: foreignText(session.arn, 200) };
}
