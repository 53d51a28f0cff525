// Every type of Google application-default-credentials file, read as google-auth reads it (docs/wire-clouds.md
// §2.5): the two key files of ./google-key.ts, and the files that point at an identity elsewhere —
// `external_account` (workload or workforce identity federation: a subject token from a file, a URL, a command or
// AWS, traded at Google's STS), `external_account_authorized_user` (a workforce user's refresh token) and
// `impersonated_service_account` (any of these as source, then IAM Credentials generateAccessToken). Every
// problem is one line naming the file, the field and what it must be; no secret from the file is ever quoted.
import { UserError } from '../../errors.js';
import { registerSecret } from '../../foreign-text.js';
import { assertSafeEndpoint } from '../../http.js';
import { Field, parseJson } from '../../validate.js';
import { metadataUrl } from '../source-io.js';
import { type GoogleCredential, readGoogleCredential } from './google-key.js';

/** Google's STS, where google-auth's clients default to when a file names no token_url. */
export const DEFAULT_STS_URL = 'https://sts.googleapis.com/v1/token';
export const AWS_SUBJECT_TOKEN_TYPE = 'urn:ietf:params:aws:token-type:aws4_request';
/** google-auth's bounds on an executable's timeout_millis, and its default. */
export const EXECUTABLE_TIMEOUT = { defaultMs: 30_000, minMs: 5_000, maxMs: 120_000 };
/** generateAccessToken's default and largest lifetime without an organisation policy exception. */
export const IMPERSONATION_LIFETIME_S = 3600;
const IMPERSONATION_MAX_LIFETIME_S = 43_200;

export type TokenFormat = { type: 'text' } | { type: 'json'; field: string };

/** Where an external_account's subject token comes from (`credential_source`). */
export type SubjectSource =
  | { kind: 'file'; path: string; format: TokenFormat }
  | { kind: 'url'; url: URL; headers: Record<string, string>; format: TokenFormat }
  | { kind: 'executable'; command: string[]; timeoutMs: number; outputFile?: string }
  | { kind: 'aws'; verificationUrl: string; regionUrl?: URL; credentialsUrl?: URL; sessionTokenUrl?: URL };

/** IAM Credentials generateAccessToken for `target`, at `url` (the file's service_account_impersonation_url). */
export interface Impersonation {
  url: URL;
  target: string;
  lifetimeSeconds: number;
  delegates: string[];
}

export interface ExternalAccount {
  type: 'external_account';
  audience: string;
  subjectTokenType: string;
  tokenUrl: URL;
  source: SubjectSource;
  impersonation?: Impersonation;
  /** STS client authentication (HTTP Basic), when the file names a client. */
  client?: { id: string; secret: string };
  /** Workforce pools without a client: the project billed, sent as STS `options`. */
  userProject?: string;
}

export interface ExternalAccountUser {
  type: 'external_account_authorized_user';
  tokenUrl: URL;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  audience?: string;
}

export interface ImpersonatedServiceAccount {
  type: 'impersonated_service_account';
  source: AdcCredential;
  impersonation: Impersonation;
}

export type AdcCredential = GoogleCredential | ExternalAccount | ExternalAccountUser | ImpersonatedServiceAccount;
export const ADC_TYPES = [
  'service_account',
  'authorized_user',
  'external_account',
  'external_account_authorized_user',
  'impersonated_service_account',
] as const;

const secret = (field: Field): string => {
  const value = field.nonEmptyString();
  registerSecret(value);
  return value;
};

/** A token service URL from the file: HTTPS, or loopback for stand-ins; `name` is the field's name. */
const endpoint = (field: Field, source: string, name: string): URL =>
  assertSafeEndpoint(field.nonEmptyString(), `${source}: ${name}`);

/** The service account an impersonation URL names: google-auth takes what is between the last `/` and the verb. */
function impersonationOf(field: Field, source: string, lifetime?: Field, delegates?: Field): Impersonation {
  const text = field.nonEmptyString();
  const start = text.lastIndexOf('/');
  const end = text.indexOf(':generateAccessToken');
  if (start === -1 || end === -1 || start > end || start + 1 === end) {
    throw field.invalid('must end in /serviceAccounts/EMAIL:generateAccessToken (the account to impersonate)');
  }
  const seconds = !lifetime || lifetime.absentOrNull ? IMPERSONATION_LIFETIME_S : lifetime.value;
  if (
    typeof seconds !== 'number' ||
    !Number.isInteger(seconds) ||
    seconds < 1 ||
    seconds > IMPERSONATION_MAX_LIFETIME_S
  ) {
    throw (lifetime ?? field).invalid(`must be a whole number of seconds from 1 to ${IMPERSONATION_MAX_LIFETIME_S}`);
  }
  return {
    url: endpoint(field, source, 'service_account_impersonation_url'),
    target: text.slice(start + 1, end),
    lifetimeSeconds: seconds,
    delegates: !delegates || delegates.absentOrNull ? [] : delegates.items().map((item) => item.nonEmptyString()),
  };
}

function formatOf(source: Field): TokenFormat {
  const format = source.member('format');
  if (format.absentOrNull) return { type: 'text' };
  const type = format.member('type');
  const kind = type.absentOrNull || type.value === '' ? 'text' : type.oneOf(['text', 'json'] as const);
  if (kind === 'text') return { type: 'text' };
  const field = format.member('subject_token_field_name');
  if (field.absentOrNull) throw field.invalid('is missing (a json format must name the field holding the token)');
  return { type: 'json', field: field.string() };
}

function commandOf(field: Field): string[] {
  // google-auth splits the command on whitespace and runs it without a shell; so does lanyard.
  const words = field.nonEmptyString().split(/\s+/).filter(Boolean);
  if (words.length === 0) throw field.invalid('must name a program to run');
  return words;
}

function executableOf(executable: Field): SubjectSource {
  const timeout = executable.member('timeout_millis');
  const { defaultMs, minMs, maxMs } = EXECUTABLE_TIMEOUT;
  const timeoutMs = timeout.absentOrNull || timeout.value === 0 ? defaultMs : timeout.value;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < minMs || timeoutMs > maxMs) {
    throw timeout.invalid(`must be from ${minMs} to ${maxMs} milliseconds (google-auth's bounds)`);
  }
  const outputFile = executable.member('output_file').nullableString();
  return {
    kind: 'executable',
    command: commandOf(executable.member('command')),
    timeoutMs,
    ...(outputFile ? { outputFile } : {}),
  };
}

function awsSourceOf(credentialSource: Field): SubjectSource {
  const environment = credentialSource.member('environment_id').string();
  const version = /^aws(\d+)$/.exec(environment)?.[1];
  if (version === undefined) throw credentialSource.member('environment_id').invalid('must be "aws1"');
  if (version !== '1')
    throw credentialSource.member('environment_id').invalid(`names aws version ${version}; only 1 is known`);
  const verification = credentialSource.member('regional_cred_verification_url');
  const verificationUrl = verification.nonEmptyString();
  if (!verificationUrl.startsWith('https://')) throw verification.invalid('must be an https URL (AWS STS)');
  const optional = (name: string) => {
    const value = credentialSource.member(name).nullableString();
    return value ? metadataUrl(value, '', `${credentialSource.source}: credential_source.${name}`) : undefined;
  };
  const regionUrl = optional('region_url');
  const credentialsUrl = optional('url');
  const sessionTokenUrl = optional('imdsv2_session_token_url');
  return {
    kind: 'aws',
    verificationUrl,
    ...(regionUrl ? { regionUrl } : {}),
    ...(credentialsUrl ? { credentialsUrl } : {}),
    ...(sessionTokenUrl ? { sessionTokenUrl } : {}),
  };
}

/** The credential_source, told apart as google-auth does: AWS by subject_token_type, then executable, file, url. */
function subjectSourceOf(root: Field, subjectTokenType: string): SubjectSource {
  const source = root.member('credential_source');
  source.object();
  if (subjectTokenType === AWS_SUBJECT_TOKEN_TYPE) return awsSourceOf(source);
  const executable = source.member('executable');
  if (!executable.absentOrNull) return executableOf(executable);
  const file = source.member('file');
  const url = source.member('url');
  const certificate = source.member('certificate');
  const given = [file, url, certificate].filter((field) => !field.absentOrNull).length;
  if (given !== 1) {
    const problem = given === 0 ? 'names no subject token source' : 'names more than one subject token source';
    throw source.invalid(`${problem}: give exactly one of file, url, executable or environment_id aws1`);
  }
  if (!certificate.absentOrNull) {
    throw certificate.invalid(
      '(X.509 workload identity federation) is not supported by lanyard: use a file or url source',
    );
  }
  const format = formatOf(source);
  if (!file.absentOrNull) return { kind: 'file', path: file.nonEmptyString(), format };
  const headers = source.member('headers');
  return {
    kind: 'url',
    url: metadataUrl(url.nonEmptyString(), '', `${root.source}: credential_source.url`),
    headers: headers.absentOrNull ? {} : headers.stringRecord(),
    format,
  };
}

function externalAccountOf(root: Field, source: string): ExternalAccount {
  const audience = root.member('audience').nonEmptyString();
  const subjectTokenType = root.member('subject_token_type').nonEmptyString();
  const tokenUrlField = root.member('token_url');
  const tokenUrl = tokenUrlField.absentOrNull ? new URL(DEFAULT_STS_URL) : endpoint(tokenUrlField, source, 'token_url');
  const impersonationUrl = root.member('service_account_impersonation_url');
  const options = root.member('service_account_impersonation');
  const lifetime = options.absentOrNull ? undefined : options.member('token_lifetime_seconds');
  const clientId = root.member('client_id').nullableString();
  const userProject = root.member('workforce_pool_user_project').nullableString();
  const workforce = /^\/\/iam\.googleapis\.com\/locations\/[^/]+\/workforcePools\//.test(audience);
  if (userProject && !workforce) {
    throw root
      .member('workforce_pool_user_project')
      .invalid('is only for workforce pools (audience …/workforcePools/…)');
  }
  return {
    type: 'external_account',
    audience,
    subjectTokenType,
    tokenUrl,
    source: subjectSourceOf(root, subjectTokenType),
    ...(impersonationUrl.absentOrNull ? {} : { impersonation: impersonationOf(impersonationUrl, source, lifetime) }),
    ...(clientId ? { client: { id: clientId, secret: root.member('client_secret').nullableString() ?? '' } } : {}),
    ...(userProject && !clientId ? { userProject } : {}),
  };
}

function externalAccountUserOf(root: Field, source: string): ExternalAccountUser {
  const audience = root.member('audience').nullableString();
  return {
    type: 'external_account_authorized_user',
    tokenUrl: endpoint(root.member('token_url'), source, 'token_url'),
    clientId: root.member('client_id').nonEmptyString(),
    clientSecret: secret(root.member('client_secret')),
    refreshToken: secret(root.member('refresh_token')),
    ...(audience ? { audience } : {}),
  };
}

function impersonatedOf(root: Field, source: string): ImpersonatedServiceAccount {
  const inner = root.member('source_credentials');
  const type = inner.member('type').oneOf(ADC_TYPES);
  if (type === 'impersonated_service_account') {
    throw inner.member('type').invalid('must not be impersonated_service_account again (give the first source)');
  }
  const url = root.member('service_account_impersonation_url');
  return {
    type: 'impersonated_service_account',
    source: readAdcCredential(JSON.stringify(inner.value), `${source} (source_credentials)`),
    impersonation: impersonationOf(url, source, undefined, root.member('delegates')),
  };
}

/** Any ADC file's credential; `source` names the file in errors ("the ADC file /x.json (…)"). */
export function readAdcCredential(text: string, source: string): AdcCredential {
  let root: Field;
  try {
    root = Field.root(source, parseJson(text));
  } catch {
    throw new UserError(`${source} is not JSON: give the credentials file as Google or gcloud wrote it`);
  }
  const type = root.member('type').oneOf(ADC_TYPES);
  if (type === 'service_account' || type === 'authorized_user') return readGoogleCredential(text, source);
  if (type === 'external_account') return externalAccountOf(root, source);
  if (type === 'external_account_authorized_user') return externalAccountUserOf(root, source);
  return impersonatedOf(root, source);
}

/** Whom an ADC credential ends up as, as far as its file says (for `ls` and doctor). */
export function adcPrincipal(credential: AdcCredential): string {
  switch (credential.type) {
    case 'service_account':
      return credential.clientEmail;
    case 'authorized_user':
      return credential.account ?? `OAuth client ${credential.clientId}`;
    case 'external_account':
      return credential.impersonation?.target ?? `a federated identity of ${credential.audience}`;
    case 'external_account_authorized_user':
      return `a workforce user of ${credential.audience ?? `OAuth client ${credential.clientId}`}`;
    case 'impersonated_service_account':
      return credential.impersonation.target;
  }
}
