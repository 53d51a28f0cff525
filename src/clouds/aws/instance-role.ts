// The EC2 instance role through IMDSv2 only (docs/wire-identities.md §1.4): PUT /latest/api/token for a session
// token, then the role's name and its rotating credentials, each GET carrying the token. IMDSv1 (no token) is
// never tried: it is what SSRF attacks use, and instances set to "tokens required" refuse it anyway.
// AWS_EC2_METADATA_SERVICE_ENDPOINT moves the service (tests, proxies); _ENDPOINT_MODE=IPv6 picks its IPv6 address.
import type { AwsIdentityConfig } from '../../config.js';
import { ServiceRefusedError, UserError } from '../../errors.js';
import { foreignText, registerSecret } from '../../foreign-text.js';
import { type AwsCredential, roleCredentials } from './credential.js';
import {
  ask,
  metadataGet,
  METADATA_TIMEOUT_MS,
  metadataUrl,
  NOT_THE_SERVICE,
  readAnswer,
  refused,
} from '../source-io.js';

export const IMDS_IPV4 = 'http://169.254.169.254';
export const IMDS_IPV6 = 'http://[fd00:ec2::254]';
const CREDENTIALS_PATH = 'latest/meta-data/iam/security-credentials/';
/** The session token is used at once and thrown away: a short life is enough. */
const TOKEN_TTL_SECONDS = 300;
/** IMDS session tokens are base64 of a few dozen bytes (about 56 characters); allow room, but only header-safe text. */
const SESSION_TOKEN = /^[\w+/=.-]{1,1024}$/;
const ABSENT_HINT =
  'not on EC2, the metadata service is off, or a container is more hops away than the PUT response hop limit allows';

export function imdsBase(aws: AwsIdentityConfig): string {
  if (aws.imdsEndpoint) return aws.imdsEndpoint;
  return aws.imdsEndpointMode?.toLowerCase() === 'ipv6' ? IMDS_IPV6 : IMDS_IPV4;
}

export async function awsInstanceRole(aws: AwsIdentityConfig, timeoutMs = METADATA_TIMEOUT_MS): Promise<AwsCredential> {
  if (aws.imdsDisabled) throw new UserError('EC2 instance role: AWS_EC2_METADATA_DISABLED is set');
  const base = imdsBase(aws);
  const url = (path: string) => metadataUrl(base, path, 'AWS_EC2_METADATA_SERVICE_ENDPOINT');
  const where = `the EC2 instance metadata service at ${url('').origin}`;

  const tokenAnswer = await ask(
    where,
    url('latest/api/token'),
    { method: 'PUT', headers: { 'X-aws-ec2-metadata-token-ttl-seconds': String(TOKEN_TTL_SECONDS) }, timeoutMs },
    ABSENT_HINT,
  );
  if (tokenAnswer.status === 403) {
    throw new ServiceRefusedError(where, 'refused a session token (403): the metadata service is turned off', {
      status: 403,
      permanent: true,
    });
  }
  if (tokenAnswer.status !== 200 || !tokenAnswer.body.trim()) throw refused(where, tokenAnswer, 'to the token PUT');
  const sessionToken = tokenAnswer.body.trim();
  // It goes back in a header: a "token" that no header can carry (a web page, garbage) means this is not IMDS.
  if (!SESSION_TOKEN.test(sessionToken)) {
    const detail = `answered the token PUT with something that is not a session token: ${NOT_THE_SERVICE}`;
    throw new ServiceRefusedError(where, detail, { status: tokenAnswer.status, permanent: false });
  }
  registerSecret(sessionToken);
  const missing = 'for security-credentials: no instance role (attach an IAM instance profile to the instance)';
  const options = { headers: { 'X-aws-ec2-metadata-token': sessionToken }, timeoutMs };
  const get = (path: string) => metadataGet(where, url(path), options, ABSENT_HINT, { path, missing });

  const roleName = (await get(CREDENTIALS_PATH)).body.split('\n')[0]!.trim();
  if (!/^[\w+=,.@-]{1,128}$/.test(roleName)) {
    throw new ServiceRefusedError(where, `named no usable role: ${foreignText(roleName, 80)}`, { permanent: false });
  }
  const answer = await get(`${CREDENTIALS_PATH}${roleName}`);
  return readAnswer(where, answer, (body) => {
    const code = body.member('Code').optionalString();
    if (code !== undefined && code !== 'Success') {
      const message = foreignText(body.member('Message').optionalString() ?? '', 200);
      throw new ServiceRefusedError(where, `has no credentials for role ${roleName}: ${code} ${message}`, {
        permanent: false,
      });
    }
    return roleCredentials(where, body, `instance role ${roleName}`);
  });
}
