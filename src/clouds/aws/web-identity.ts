// AWS web identity (EKS IRSA, GitHub Actions and GitLab OIDC): the OIDC token in AWS_WEB_IDENTITY_TOKEN_FILE is
// traded for role credentials with STS AssumeRoleWithWebIdentity, an unsigned query-protocol call with an XML
// answer (docs/wire-identities.md §1.3). The file is read at each call: the kubelet rewrites it before it expires.
import type { AwsIdentityConfig } from '../../config.js';
import { ServiceRefusedError, UserError } from '../../errors.js';
import { foreignText, registerSecret } from '../../foreign-text.js';
import type { AwsCredential } from './credential.js';
import type { Settings } from './shared-files.js';
import {
  ask,
  believedExpiry,
  NOT_THE_SERVICE,
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

/** Where web identity is configured: each variable, else the profile's setting of the same meaning. */
export interface WebIdentitySettings {
  tokenFile?: string;
  roleArn?: string;
  sessionName?: string;
}

/**
 * What botocore's AssumeRoleWithWebIdentityProvider reads: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN and
 * AWS_ROLE_SESSION_NAME, each falling back to the profile's web_identity_token_file, role_arn, role_session_name.
 * `aws` undefined leaves the variables out (a source profile's own web identity).
 */
export function webIdentitySettings(aws: AwsIdentityConfig | undefined, profile?: Settings): WebIdentitySettings {
  const tokenFile = aws?.webIdentityTokenFile ?? profile?.get('web_identity_token_file');
  const roleArn = aws?.roleArn ?? profile?.get('role_arn');
  const sessionName = aws?.roleSessionName ?? profile?.get('role_session_name');
  return {
    ...(tokenFile ? { tokenFile } : {}),
    ...(roleArn ? { roleArn } : {}),
    ...(sessionName ? { sessionName } : {}),
  };
}

/** Web identity as configured; a token file without a role is one line saying where to put the role. */
export function awsConfiguredWebIdentity(
  settings: WebIdentitySettings,
  options: Pick<WebIdentityOptions, 'stsEndpoint' | 'timeoutMs' | 'region'>,
): Promise<AwsCredential> {
  const { tokenFile, roleArn, sessionName } = settings;
  if (!tokenFile || !roleArn) {
    const missing = tokenFile ? "no role: set AWS_ROLE_ARN or the profile's role_arn" : 'no token file';
    throw new UserError(`AWS web identity: ${missing} (AWS_WEB_IDENTITY_TOKEN_FILE or web_identity_token_file)`);
  }
  return awsWebIdentity({ roleArn, tokenFile, ...(sessionName ? { sessionName } : {}), ...options });
}

/** A role ARN, or one line saying that `setting` (where it came from) does not hold one. */
export function checkedRoleArn(roleArn: string, setting: string): string {
  if (!/^arn:aws[\w-]*:iam::\d{12}:role\/.+$/.test(roleArn)) {
    throw new UserError(`AWS web identity: ${setting} is not a role ARN: ${foreignText(roleArn, 100)}`);
  }
  return roleArn;
}

export async function awsWebIdentity(options: WebIdentityOptions): Promise<AwsCredential> {
  checkedRoleArn(options.roleArn, 'AWS_ROLE_ARN');
  const token = readTokenFile(options.tokenFile, 'web identity token file', 'AWS_WEB_IDENTITY_TOKEN_FILE');
  return assumeRoleWithWebIdentity(token, options);
}

/** The web identity token (already read, registered as a secret) traded for the role's credentials. */
export async function assumeRoleWithWebIdentity(
  token: string,
  options: Omit<WebIdentityOptions, 'tokenFile'>,
): Promise<AwsCredential> {
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
    const detail = `answered AssumeRoleWithWebIdentity without complete credentials: ${NOT_THE_SERVICE}`;
    throw new ServiceRefusedError(where, detail, {
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
