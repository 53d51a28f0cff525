// A shared-config profile (AWS_PROFILE, else `default`) from ~/.aws/credentials and ~/.aws/config, resolved the
// way the AWS CLI does for the settings a node or CI job uses (docs/wire-identities.md §1.2):
//   aws_access_key_id + aws_secret_access_key (+ aws_session_token)   the keys themselves
//   role_arn + source_profile                                        keys of the source profile, role to assume
//   role_arn + credential_source = Environment | Ec2InstanceMetadata  keys from there, role to assume
//   role_arn + web_identity_token_file                               AssumeRoleWithWebIdentity
// credential_process, SSO and chains of roles are refused with a line saying so: lanyard runs no programs
// named in a file, and a role to assume is handed to the aws-ecr provider, which assumes exactly one.
import { readFileSync } from 'node:fs';
import type { AwsIdentityConfig } from '../../config.js';
import { UserError } from '../../errors.js';
import { quoted } from '../../foreign-text.js';
import { accessKeys, type AwsCredential, awsFromEnvironment, type RoleToAssume } from './credential.js';
import { awsInstanceRole } from './instance-role.js';
import { awsWebIdentity } from './web-identity.js';

/** Where the shared files are (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE, read by the aws-ecr work's config). */
export interface AwsSharedFiles {
  credentials: string;
  config: string;
}

export interface ProfileOptions {
  /** STS endpoint for a web-identity profile (AWS_ENDPOINT_URL_STS). */
  stsEndpoint?: string;
}

type Settings = Map<string, string>;
type Sections = Map<string, Settings>;

/** INI as the AWS CLI writes it; indented lines (nested `s3 =` blocks) are not ours and are skipped. */
export function parseAwsIni(text: string, isConfigFile: boolean): Sections {
  const sections: Sections = new Map();
  let current: Settings | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*([#;].*)?$/.test(line) || /^\s/.test(line)) continue;
    const section = /^\[\s*([^\]]+?)\s*\]/.exec(line);
    if (section) {
      const name = isConfigFile ? section[1]!.replace(/^profile\s+/, '') : section[1]!;
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      continue;
    }
    const pair = /^([^=]+?)\s*=\s*(.*?)\s*$/.exec(line);
    if (pair && current) current.set(pair[1]!.toLowerCase(), pair[2]!);
  }
  return sections;
}

function readSections(path: string, isConfigFile: boolean): Sections {
  try {
    return parseAwsIni(readFileSync(path, 'utf8'), isConfigFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

/** The profile's settings, the credentials file's winning over the config file's (as the CLI merges them). */
export function profileSettings(files: AwsSharedFiles, name: string): Settings | undefined {
  const fromCredentials = readSections(files.credentials, false).get(name);
  const fromConfig = readSections(files.config, true).get(name);
  if (!fromCredentials && !fromConfig) return undefined;
  return new Map([...(fromConfig ?? []), ...(fromCredentials ?? [])]);
}

function staticKeys(settings: Settings, name: string): AwsCredential | undefined {
  const accessKeyId = settings.get('aws_access_key_id');
  const secretAccessKey = settings.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) return undefined;
  return accessKeys(accessKeyId, secretAccessKey, settings.get('aws_session_token'), `profile ${name}`);
}

function roleOf(settings: Settings, roleArn: string): RoleToAssume {
  const duration = Number(settings.get('duration_seconds'));
  const sessionName = settings.get('role_session_name');
  const externalId = settings.get('external_id');
  return {
    roleArn,
    ...(sessionName ? { sessionName } : {}),
    ...(externalId ? { externalId } : {}),
    ...(Number.isInteger(duration) && duration > 0 ? { durationSeconds: duration } : {}),
  };
}

function refuseUnsupported(settings: Settings, name: string): void {
  if (settings.has('credential_process')) {
    throw new UserError(
      `AWS profile ${quoted(name)} uses credential_process, which lanyard does not run: ` +
        'use keys, a role, web identity or the instance role',
    );
  }
  if (settings.has('sso_session') || settings.has('sso_start_url')) {
    throw new UserError(`AWS profile ${quoted(name)} uses IAM Identity Center (SSO), which lanyard does not support`);
  }
}

async function baseCredentials(
  settings: Settings,
  name: string,
  files: AwsSharedFiles,
  aws: AwsIdentityConfig,
): Promise<AwsCredential> {
  const sourceProfile = settings.get('source_profile');
  const credentialSource = settings.get('credential_source');
  if (sourceProfile) {
    const source = profileSettings(files, sourceProfile);
    if (!source)
      throw new UserError(`AWS profile ${quoted(name)}: its source_profile ${quoted(sourceProfile)} does not exist`);
    refuseUnsupported(source, sourceProfile);
    if (source.has('role_arn') && sourceProfile !== name) {
      throw new UserError(
        `AWS profile ${quoted(name)} chains roles through ${quoted(sourceProfile)}: lanyard assumes one role; ` +
          'point source_profile at a profile with keys',
      );
    }
    const keys = staticKeys(source, sourceProfile);
    if (!keys) throw new UserError(`AWS profile ${quoted(sourceProfile)} holds no aws_access_key_id and secret`);
    return keys;
  }
  if (credentialSource === 'Environment') return awsFromEnvironment(aws);
  if (credentialSource === 'Ec2InstanceMetadata') return awsInstanceRole(aws);
  throw new UserError(
    `AWS profile ${quoted(name)} has role_arn but no source_profile, web_identity_token_file or usable ` +
      `credential_source${credentialSource ? ` (${quoted(credentialSource)} is not supported)` : ''}`,
  );
}

/** The credential a profile stands for; `assumeRole` is set when a role must still be assumed with it. */
export async function awsFromProfile(
  aws: AwsIdentityConfig,
  files: AwsSharedFiles,
  options: ProfileOptions = {},
): Promise<AwsCredential> {
  const name = aws.profile ?? 'default';
  const settings = profileSettings(files, name);
  if (!settings) throw new UserError(`no AWS profile ${quoted(name)} in ${files.credentials} or ${files.config}`);
  refuseUnsupported(settings, name);
  const roleArn = settings.get('role_arn');
  if (!roleArn) {
    const keys = staticKeys(settings, name);
    if (!keys)
      throw new UserError(`AWS profile ${quoted(name)} holds no aws_access_key_id and secret, and no role_arn`);
    return keys;
  }
  const tokenFile = settings.get('web_identity_token_file');
  if (tokenFile) {
    const sessionName = settings.get('role_session_name');
    return awsWebIdentity({
      roleArn,
      tokenFile,
      ...(sessionName ? { sessionName } : {}),
      ...(options.stsEndpoint ? { stsEndpoint: options.stsEndpoint } : {}),
      ...(aws.region ? { region: aws.region } : {}),
    });
  }
  const base = await baseCredentials(settings, name, files, aws);
  return {
    ...base,
    assumeRole: roleOf(settings, roleArn),
    identity: `${roleArn} (profile ${name}, via ${base.identity})`,
  };
}
