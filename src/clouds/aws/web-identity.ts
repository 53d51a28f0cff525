// AWS web identity (EKS IRSA, GitHub Actions and GitLab OIDC): the OIDC token in AWS_WEB_IDENTITY_TOKEN_FILE is
// traded for role credentials with STS AssumeRoleWithWebIdentity, an unsigned query-protocol call with an XML
// answer (docs/wire-identities.md §1.3). The file is read at each call: the kubelet rewrites it before it expires.
import type { AwsIdentityConfig } from '../../config.js';
import { ServiceRefusedError, UserError } from '../../errors.js';
import { foreignText, registerSecret } from '../../foreign-text.js';
import type { AwsCredential } from './credential.js';
import {
  ask,
  believedExpiry,
  readTokenFile,
  refused,
  TOKEN_SERVICE_TIMEOUT_MS,
  tokenServiceUrl,
} from '../source-io.js';

export interface WebIdentityOptions {
  roleArn: string;
  tokenFile: string;
  /** AWS_ROLE_SESSION_NAME; default `lanyard-<epoch ms>`, as the SDKs make one up. */
  sessionName?: string;
  /** STS endpoint (AWS_ENDPOINT_URL_STS); default regional when a region is known, else the global one. */
  stsEndpoint?: string;
  region?: string;
  durationSeconds?: number;
  timeoutMs?: number;
}

/** Codes worth asking again for: the IdP or STS had trouble, or the kubelet had not yet rewritten the token. */
const TRANSIENT_CODES = new Set([
  'IDPCommunicationError',
  'ExpiredTokenException',
  'Throttling',
  'InternalFailure',
  'ServiceUnavailable',
]);
const HINTS: Record<string, string> = {
  InvalidIdentityToken: "check the role's OIDC provider (issuer URL, audience sts.amazonaws.com, thumbprint)",
  AccessDenied: "the role's trust policy does not allow this token's subject or audience",
  IDPRejectedClaim: 'the identity provider refused the token',
  ExpiredTokenException: 'the token in the file has expired; the platform should rewrite it',
};

export function stsEndpointFor(region: string | undefined): string {
  if (!region) return 'https://sts.amazonaws.com';
  return `https://sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

const XML_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
/** The text of the first `<name>` element: enough for STS's flat answers (no attributes or CDATA inside). */
export function xmlText(xml: string, name: string): string {
  const raw = new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1] ?? '';
  return raw.replace(/&(lt|gt|amp|quot|apos);/g, (_, entity: string) => XML_ENTITIES[entity]!).trim();
}

/** The environment's web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_SESSION_NAME). */
export function awsEnvironmentWebIdentity(
  aws: AwsIdentityConfig,
  options: Pick<WebIdentityOptions, 'stsEndpoint' | 'timeoutMs'>,
): Promise<AwsCredential> {
  if (!aws.roleArn || !aws.webIdentityTokenFile) {
    throw new UserError('AWS web identity: AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE must both be set');
  }
  return awsWebIdentity({
    roleArn: aws.roleArn,
    tokenFile: aws.webIdentityTokenFile,
    ...(aws.roleSessionName ? { sessionName: aws.roleSessionName } : {}),
    ...(aws.region ? { region: aws.region } : {}),
    ...options,
  });
}

export async function awsWebIdentity(options: WebIdentityOptions): Promise<AwsCredential> {
  if (!/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/.test(options.roleArn)) {
    throw new UserError(`AWS web identity: AWS_ROLE_ARN is not a role ARN: ${foreignText(options.roleArn, 100)}`);
  }
  const token = readTokenFile(options.tokenFile, 'web identity token file', 'AWS_WEB_IDENTITY_TOKEN_FILE');
  const endpoint = tokenServiceUrl(options.stsEndpoint ?? stsEndpointFor(options.region), 'the STS endpoint');
  const where = `AWS STS at ${endpoint.origin}`;
  const form = new URLSearchParams({
    Action: 'AssumeRoleWithWebIdentity',
    Version: '2011-06-15',
    RoleArn: options.roleArn,
    RoleSessionName: options.sessionName ?? `lanyard-${Date.now()}`,
    WebIdentityToken: token,
    ...(options.durationSeconds ? { DurationSeconds: String(options.durationSeconds) } : {}),
  });
  const response = await ask(
    where,
    endpoint,
    {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8', Accept: 'text/xml' },
      body: form.toString(),
      timeoutMs: options.timeoutMs ?? TOKEN_SERVICE_TIMEOUT_MS,
    },
    'check the network or AWS_ENDPOINT_URL_STS',
  );
  const code = xmlText(response.body, 'Code');
  if (response.status !== 200 || code) {
    if (!code) throw refused(where, response, 'to AssumeRoleWithWebIdentity');
    const hint = HINTS[code] ? ` (${HINTS[code]})` : '';
    const message = foreignText(xmlText(response.body, 'Message'), 200);
    throw new ServiceRefusedError(where, `refused AssumeRoleWithWebIdentity: ${code}: ${message}${hint}`, {
      status: response.status,
      permanent: !TRANSIENT_CODES.has(code) && response.status < 500,
    });
  }
  const [accessKeyId, secretAccessKey, sessionToken] = ['AccessKeyId', 'SecretAccessKey', 'SessionToken'].map((n) =>
    xmlText(response.body, n),
  );
  const expiration = Date.parse(xmlText(response.body, 'Expiration'));
  if (!accessKeyId || !secretAccessKey || !sessionToken || Number.isNaN(expiration)) {
    throw new ServiceRefusedError(where, 'answered AssumeRoleWithWebIdentity without complete credentials', {
      status: response.status,
      permanent: false,
    });
  }
  registerSecret(secretAccessKey);
  registerSecret(sessionToken);
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken,
    expiresAt: believedExpiry(where, expiration),
    identity: xmlText(response.body, 'Arn') || options.roleArn,
  };
}
