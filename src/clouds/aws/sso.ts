// IAM Identity Center (SSO) profiles: the access token `aws sso login` left in ~/.aws/sso/cache (the file name is
// the SHA-1 of the sso_session name, or of the legacy sso_start_url) is traded for the role's credentials with
// GetRoleCredentials: GET https://portal.sso.<sso_region>.amazonaws.com/federation/credentials?role_name=…&
// account_id=… with the token in `x-amz-sso_bearer_token`; the answer is {"roleCredentials": {accessKeyId,
// secretAccessKey, sessionToken, expiration (epoch ms)}}. lanyard never refreshes or writes the cached token: an
// expired one is one line saying to run `aws sso login`.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ServiceRefusedError, UserError } from '../../errors.js';
import { quoted, registerSecret } from '../../foreign-text.js';
import { isoTime } from '../../service-limits.js';
import { Field, parseJson } from '../../validate.js';
import type { AwsCredential } from './credential.js';
import { REGION_NAME } from './hosts.js';
import { type AwsSharedFiles, type SharedProfile, ssoSessionSettings } from './shared-files.js';
import {
  ask,
  believedExpiry,
  readAnswer,
  readCappedFile,
  refused,
  secretField,
  TOKEN_SERVICE_TIMEOUT_MS,
  tokenServiceUrl,
} from '../source-io.js';

/** A cached token file is a few kilobytes. */
const CACHE_FILE_MAX_BYTES = 64 * 1024;

interface SsoConfig {
  startUrl: string;
  region: string;
  accountId: string;
  roleName: string;
  /** The sso_session's name; absent for a legacy profile (sso_start_url in the profile itself). */
  session?: string;
}

/** The profile's SSO settings, merged with its [sso-session] as botocore does (a value in both must agree). */
function ssoConfig(profile: SharedProfile, files: AwsSharedFiles): SsoConfig {
  const settings = new Map(profile.settings);
  const session = settings.get('sso_session');
  const problem = (what: string) => new UserError(`AWS profile ${quoted(profile.name)} (IAM Identity Center) ${what}`);
  if (session !== undefined) {
    const shared = ssoSessionSettings(files, session);
    if (!shared)
      throw problem(`names sso_session ${quoted(session)}, which has no [sso-session] section in ${files.config}`);
    for (const [key, value] of shared) {
      if (settings.has(key) && settings.get(key) !== value) {
        throw problem(`and its sso_session disagree on ${key}: keep one value`);
      }
      settings.set(key, value);
    }
  }
  const needed = ['sso_start_url', 'sso_region', 'sso_account_id', 'sso_role_name'];
  const missing = needed.filter((key) => !settings.get(key));
  if (missing.length) throw problem(`lacks ${missing.join(', ')}: run aws configure sso`);
  const [startUrl, region, accountId, roleName] = needed.map((key) => settings.get(key)!) as [
    string,
    string,
    string,
    string,
  ];
  if (!REGION_NAME.test(region)) throw problem(`has sso_region ${quoted(region)}, which is not a region name`);
  if (!/^\d{12}$/.test(accountId)) throw problem(`has sso_account_id ${quoted(accountId)}, not 12 digits`);
  return { startUrl, region, accountId, roleName, ...(session !== undefined ? { session } : {}) };
}

/** The cached access token, refused in one line when it is missing, unreadable or expired. */
function cachedToken(sso: SsoConfig, profile: string, cacheDir: string): string {
  const login =
    sso.session !== undefined ? `aws sso login --sso-session ${sso.session}` : `aws sso login --profile ${profile}`;
  const file = join(
    cacheDir,
    `${createHash('sha1')
      .update(sso.session ?? sso.startUrl)
      .digest('hex')}.json`,
  );
  const refuse = (what: string) => new UserError(`AWS profile ${quoted(profile)}: ${what}: run \`${login}\``);
  let text: string;
  try {
    text = readCappedFile(file, CACHE_FILE_MAX_BYTES);
  } catch (error) {
    const absent = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw refuse(
      absent ? `no IAM Identity Center token in ${file}` : `cannot read ${file}: ${(error as Error).message}`,
    );
  }
  let token: string;
  let expiresAt: number;
  try {
    const cached = Field.root(file, parseJson(text));
    token = cached.member('accessToken').nonEmptyString();
    registerSecret(token);
    expiresAt = Date.parse(cached.member('expiresAt').nonEmptyString());
  } catch {
    throw refuse(`the IAM Identity Center token in ${file} is not the JSON \`aws sso login\` writes`);
  }
  if (!(expiresAt > Date.now())) {
    const when = Number.isNaN(expiresAt) ? 'at an unreadable time' : `at ${isoTime(expiresAt)}`;
    throw refuse(`the IAM Identity Center token expired ${when}`);
  }
  return token;
}

/** GetRoleCredentials for the profile's account and role, with the cached token. */
export async function awsSso(
  profile: SharedProfile,
  files: AwsSharedFiles,
  options: { ssoEndpoint?: string; timeoutMs?: number },
): Promise<AwsCredential> {
  const sso = ssoConfig(profile, files);
  if (!files.ssoCache) throw new UserError('no IAM Identity Center token cache folder is known here');
  const token = cachedToken(sso, profile.name, files.ssoCache);
  const suffix = sso.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const base = tokenServiceUrl(options.ssoEndpoint ?? `https://portal.sso.${sso.region}.${suffix}`, 'the SSO endpoint');
  const url = new URL('federation/credentials', base.href.endsWith('/') ? base : `${base.href}/`);
  url.search = new URLSearchParams({ role_name: sso.roleName, account_id: sso.accountId }).toString();
  const where = `IAM Identity Center at ${url.origin}`;
  const answer = await ask(
    where,
    url,
    { headers: { 'x-amz-sso_bearer_token': token }, timeoutMs: options.timeoutMs ?? TOKEN_SERVICE_TIMEOUT_MS },
    'check the network or AWS_ENDPOINT_URL_SSO',
  );
  if (answer.status === 401) {
    throw new ServiceRefusedError(where, 'refused the cached token (401): run `aws sso login`', {
      status: 401,
      permanent: true,
    });
  }
  if (answer.status === 403) {
    const detail = `refused role ${sso.roleName} in account ${sso.accountId} (403): it is not assigned to you`;
    throw new ServiceRefusedError(where, detail, { status: 403, permanent: true });
  }
  if (answer.status !== 200) throw refused(where, answer, 'to GetRoleCredentials');
  return readAnswer(where, answer, (body) => {
    const role = body.member('roleCredentials');
    const expiration = role.member('expiration').value;
    return {
      accessKeyId: role.member('accessKeyId').nonEmptyString(),
      secretAccessKey: secretField(role.member('secretAccessKey')),
      sessionToken: secretField(role.member('sessionToken')),
      expiresAt: believedExpiry(where, typeof expiration === 'number' ? expiration : Number.NaN),
      identity: `${sso.roleName} in account ${sso.accountId} (IAM Identity Center, profile ${profile.name})`,
    };
  });
}
