// The subject token of an `external_account` for AWS (`environment_id` aws1), as google-auth builds it: the region
// (AWS_REGION, AWS_DEFAULT_REGION, else the metadata region_url's zone less its last letter), credentials (the AWS
// environment keys, else the metadata url's role; IMDSv2 session token when imdsv2_session_token_url is set), and
// an STS GetCallerIdentity request signed with them but never sent: Google's STS sends it to AWS to learn who
// the caller is. The token is that request serialised as Google documents, URL-encoded:
//   {"headers":[{"key":"Authorization",…},{"key":"host",…},{"key":"x-amz-date",…},
//    {"key":"x-amz-security-token",…}?,{"key":"x-goog-cloud-target-resource","value":<audience>}],
//    "method":"POST","url":<regional_cred_verification_url with {region}>}
import { ServiceRefusedError } from '../../errors.js';
import { foreignText, registerSecret } from '../../foreign-text.js';
import type { HttpOptions } from '../../http.js';
import type { IssueContext } from '../provider.js';
import { ask, METADATA_TIMEOUT_MS, readAnswer, refused, secretField } from '../source-io.js';
import type { ExternalAccount, SubjectSource } from './adc-file.js';
import { pythonQuote } from './sts.js';

type AwsSource = Extract<SubjectSource, { kind: 'aws' }>;
interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const SESSION_TOKEN_TTL_S = '300';
const REGION = /^[a-z]{2}(?:-[a-z0-9]+)+-\d+$/;
const ABSENT_HINT = 'not on AWS, or the metadata service is off';

/** One metadata request, as google-auth makes it: a 200 or one line naming the URL. */
async function metadata(url: URL, options: HttpOptions, what: string): Promise<string> {
  const where = `the AWS metadata service at ${url.origin}`;
  const answer = await ask(where, url, { timeoutMs: METADATA_TIMEOUT_MS, ...options }, ABSENT_HINT);
  if (answer.status !== 200) throw refused(where, answer, `for ${what} (${url.pathname})`);
  return answer.body;
}

/** The IMDSv2 session token, when the file names its URL (asked anew for each use, as google-auth does). */
async function sessionHeaders(source: AwsSource): Promise<Record<string, string>> {
  if (!source.sessionTokenUrl) return {};
  const headers = { 'X-aws-ec2-metadata-token-ttl-seconds': SESSION_TOKEN_TTL_S };
  const token = await metadata(source.sessionTokenUrl, { method: 'PUT', headers }, 'a session token');
  registerSecret(token);
  return { 'X-aws-ec2-metadata-token': token };
}

async function region(source: AwsSource, context: IssueContext, file: string): Promise<string> {
  const fromEnvironment = context.config.identity.aws.region;
  if (fromEnvironment) return fromEnvironment;
  if (!source.regionUrl) {
    throw new ServiceRefusedError(
      `the aws1 credential_source of ${file}`,
      'names no region_url and AWS_REGION is unset',
      {
        permanent: true,
      },
    );
  }
  const zone = await metadata(source.regionUrl, { headers: await sessionHeaders(source) }, 'the availability zone');
  const name = zone.slice(0, -1); // us-east-1b -> us-east-1
  if (!REGION.test(name)) {
    const where = `the AWS metadata service at ${source.regionUrl.origin}`;
    throw new ServiceRefusedError(where, `named no usable zone: ${foreignText(zone, 60)}`, { permanent: false });
  }
  return name;
}

async function keys(source: AwsSource, context: IssueContext, file: string): Promise<AwsKeys> {
  const { accessKeyId, secretAccessKey, sessionToken } = context.config.identity.aws;
  if (accessKeyId && secretAccessKey) {
    registerSecret(secretAccessKey);
    registerSecret(sessionToken);
    return { accessKeyId, secretAccessKey, ...(sessionToken ? { sessionToken } : {}) };
  }
  if (!source.credentialsUrl) {
    const detail = 'names no metadata url and AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY are unset';
    throw new ServiceRefusedError(`the aws1 credential_source of ${file}`, detail, { permanent: true });
  }
  const session = await sessionHeaders(source);
  const base = source.credentialsUrl.href;
  const role = await metadata(source.credentialsUrl, { headers: session }, 'the role name');
  if (!/^[\w+=,.@-]{1,128}$/.test(role)) {
    const where = `the AWS metadata service at ${source.credentialsUrl.origin}`;
    throw new ServiceRefusedError(where, `named no usable role: ${foreignText(role, 80)}`, { permanent: false });
  }
  const url = new URL(`${base}/${role}`);
  const where = `the AWS metadata service at ${url.origin}`;
  const headers = { 'Content-Type': 'application/json', ...session };
  const answer = await ask(where, url, { headers, timeoutMs: METADATA_TIMEOUT_MS }, ABSENT_HINT);
  if (answer.status !== 200) throw refused(where, answer, `for the credentials of role ${role}`);
  return readAnswer(where, answer, (body) => {
    const token = body.member('Token').nullableString();
    registerSecret(token);
    return {
      accessKeyId: body.member('AccessKeyId').nonEmptyString(),
      secretAccessKey: secretField(body.member('SecretAccessKey')),
      ...(token ? { sessionToken: token } : {}),
    };
  });
}

/** Python's json.dumps default: non-ASCII as \u escapes. */
const asciiJson = (value: unknown): string =>
  JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** The serialised, signed GetCallerIdentity request; `file` names the ADC file in errors. */
export async function awsSubjectToken(
  account: ExternalAccount,
  source: AwsSource,
  file: string,
  context: IssueContext,
) {
  const name = await region(source, context, file);
  const credentials = await keys(source, context, file);
  const url = source.verificationUrl.replace('{region}', name);
  const parsed = new URL(url);
  const aws4 = (await import('aws4')).default; // only on this path
  // google-auth signs host and x-amz-date (and the session token); the service is the host's first label.
  const signed = aws4.sign(
    {
      host: parsed.hostname,
      path: `${parsed.pathname || '/'}${parsed.search}`,
      method: 'POST',
      service: parsed.hostname.split('.')[0],
      region: name,
      headers: { Host: parsed.hostname },
    },
    { ...credentials },
  );
  const sent = signed.headers ?? {};
  const headers = [
    { key: 'Authorization', value: String(sent.Authorization) },
    { key: 'host', value: parsed.hostname },
    { key: 'x-amz-date', value: String(sent['X-Amz-Date']) },
    ...(credentials.sessionToken ? [{ key: 'x-amz-security-token', value: credentials.sessionToken }] : []),
    { key: 'x-goog-cloud-target-resource', value: account.audience },
  ];
  const token = pythonQuote(asciiJson({ headers, method: 'POST', url }));
  registerSecret(token);
  return token;
}
