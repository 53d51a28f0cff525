// Container credentials (ECS task roles, EKS Pod Identity): a GET to the endpoint the platform names in
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (a path on http://169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI,
// with the token of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at each use: the agent rotates it) or
// AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header. The answer is IMDS's JSON. As the AWS SDKs do,
// a plain-http FULL_URI may only name a loopback address or the ECS and EKS agents' addresses: anything else
// could be an attacker's server collecting the token.
import type { AwsIdentityConfig } from '../../config.js';
import { UserError } from '../../errors.js';
import { foreignText, registerSecret } from '../../foreign-text.js';
import { type AwsCredential, roleCredentials } from './credential.js';
import { ask, metadataUrl, readAnswer, readTokenFile, refused } from '../source-io.js';

export const ECS_ENDPOINT = 'http://169.254.170.2';
/** The ECS agent (IPv4), the EKS Pod Identity agent (IPv4, IPv6), as the SDKs allow them. */
const AGENT_HOSTS = new Set(['169.254.170.2', '169.254.170.23', '[fd00:ec2::23]']);
/** The SDKs wait 2 s for these agents (botocore's ContainerMetadataFetcher). */
const CONTAINER_TIMEOUT_MS = 2000;

const isLoopback = (host: string) => host === 'localhost' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);

/** The endpoint and the variable that named it; a FULL_URI on a host the SDKs refuse is one line naming it. */
function containerEndpoint(aws: AwsIdentityConfig): { url: URL; setting: string } {
  if (aws.containerRelativeUri) {
    const setting = 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI';
    return { url: metadataUrl(aws.containerEndpoint ?? ECS_ENDPOINT, aws.containerRelativeUri, setting), setting };
  }
  const setting = 'AWS_CONTAINER_CREDENTIALS_FULL_URI';
  if (!aws.containerFullUri) throw new UserError('AWS container credentials: AWS_CONTAINER_CREDENTIALS_*_URI not set');
  const url = metadataUrl(aws.containerFullUri, '', setting);
  if (url.protocol === 'http:' && !isLoopback(url.hostname) && !AGENT_HOSTS.has(url.hostname)) {
    throw new UserError(
      `${setting} names the host ${foreignText(url.hostname, 80)}, which the AWS SDKs refuse over plain http: ` +
        'use a loopback address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23, or an https URL',
    );
  }
  return { url, setting };
}

function authorization(aws: AwsIdentityConfig): string | undefined {
  const token = aws.containerTokenFile
    ? readTokenFile(
        aws.containerTokenFile,
        'container authorization token file',
        'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
      )
    : aws.containerToken;
  registerSecret(token);
  if (token && /[\r\n]/.test(token)) {
    throw new UserError('the AWS container authorization token contains a line break: fix the token or its file');
  }
  return token;
}

export async function awsContainer(aws: AwsIdentityConfig, timeoutMs = CONTAINER_TIMEOUT_MS): Promise<AwsCredential> {
  const { url, setting } = containerEndpoint(aws);
  const token = authorization(aws);
  const where = `the container credentials endpoint at ${url.origin}`;
  const headers: Record<string, string> = { Accept: 'application/json', ...(token ? { Authorization: token } : {}) };
  const hint = `check ${setting} and that the ECS or EKS Pod Identity agent runs`;
  const answer = await ask(where, url, { headers, timeoutMs: Math.min(timeoutMs, CONTAINER_TIMEOUT_MS) }, hint);
  if (answer.status !== 200) throw refused(where, answer, `for ${url.pathname}`);
  return readAnswer(where, answer, (body) => roleCredentials(where, body, `container credentials at ${url.origin}`));
}
