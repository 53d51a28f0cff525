// A shared-config profile (AWS_PROFILE, else AWS_DEFAULT_PROFILE, else `default`) resolved step by step in the
// order botocore's chain tries them (credentials.py create_credential_resolver; docs/identity-sources.md):
//   role_arn (no web_identity_token_file)  the role, assumed with source_profile's or credential_source's keys
//   web_identity_token_file (+ role_arn)   AssumeRoleWithWebIdentity (in `auto`, the aws-web-identity source)
//   sso_session / sso_start_url            IAM Identity Center: the cached token traded for role credentials
//   aws_access_key_id in the credentials file, then credential_process, then aws_access_key_id in the config file
// The last role of a chain is handed to the aws-ecr provider (`assumeRole`), which assumes it per exchange; roles
// before it (a source_profile that has role_arn and no keys) are assumed here.
import type { AwsIdentityConfig, Environment } from '../../config.js';
import { UserError } from '../../errors.js';
import { quoted } from '../../foreign-text.js';
import { accessKeys, type AwsCredential, awsFromEnvironment, type RoleToAssume } from './credential.js';
import {
  type AwsSharedFiles,
  loadProfile,
  type SharedProfile,
  selectedProfile,
  type Settings,
} from './shared-files.js';

export interface ProfileOptions {
  /** STS endpoint (AWS_ENDPOINT_URL_STS) for web identity and the inner roles of a chain. */
  stsEndpoint?: string;
  /** IAM Identity Center portal endpoint (AWS_ENDPOINT_URL_SSO). */
  ssoEndpoint?: string;
  /** The environment a credential_process runs in. */
  env?: Environment;
  timeoutMs?: number;
}

/** What a profile stands for, first match wins, as botocore's providers try it. */
export type ProfileStep =
  | 'role_arn'
  | 'web_identity_token_file'
  | 'sso'
  | 'keys in the credentials file'
  | 'credential_process'
  | 'keys in the config file';

const hasKeys = (settings: Settings | undefined) =>
  !!settings && (settings.has('aws_access_key_id') || settings.has('aws_secret_access_key'));

/** The step that answers for `profile`; `roles` false leaves out role_arn (a source profile's own chain). */
export function profileStep(profile: SharedProfile, roles = true): ProfileStep | undefined {
  const { settings } = profile;
  if (roles && settings.has('role_arn') && !settings.has('web_identity_token_file')) return 'role_arn';
  if (settings.has('web_identity_token_file')) return 'web_identity_token_file';
  if (settings.has('sso_role_name') || settings.has('sso_account_id')) return 'sso';
  if (hasKeys(profile.credentialsFile)) return 'keys in the credentials file';
  if (settings.has('credential_process')) return 'credential_process';
  if (hasKeys(profile.configFile)) return 'keys in the config file';
  return undefined;
}

function fileKeys(settings: Settings, profile: string, file: string): AwsCredential {
  const accessKeyId = settings.get('aws_access_key_id');
  const secretAccessKey = settings.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) {
    const missing = accessKeyId ? 'aws_secret_access_key' : 'aws_access_key_id';
    throw new UserError(`AWS profile ${quoted(profile)} in ${file} has no ${missing}: add it, or remove the other key`);
  }
  const token = settings.get('aws_session_token') ?? settings.get('aws_security_token');
  return accessKeys(accessKeyId, secretAccessKey, token, `profile ${profile}`);
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

/** Where a profile is resolved: its files, the variables, and the visited profiles of a source_profile chain. */
export interface Resolution {
  aws: AwsIdentityConfig;
  files: AwsSharedFiles;
  options: ProfileOptions;
  /** AWS_REGION, AWS_DEFAULT_REGION, else the selected profile's `region`: where STS is asked. */
  region?: string;
  visited: string[];
}

async function credentialSource(name: string, source: string, at: Resolution): Promise<AwsCredential> {
  switch (source) {
    case 'Environment':
      return awsFromEnvironment(at.aws);
    case 'Ec2InstanceMetadata':
      return (await import('./instance-role.js')).awsInstanceRole(at.aws);
    case 'EcsContainer':
      return (await import('./container.js')).awsContainer(at.aws, at.options.timeoutMs);
    default:
      throw new UserError(
        `AWS profile ${quoted(name)}: credential_source ${quoted(source)} is not one of Environment, ` +
          'Ec2InstanceMetadata, EcsContainer: fix the config file',
      );
  }
}

/** The keys a role profile assumes its role with: from credential_source, or source_profile's own chain. */
async function baseOf(profile: SharedProfile, at: Resolution): Promise<AwsCredential> {
  const { name, settings } = profile;
  const sourceName = settings.get('source_profile');
  const source = settings.get('credential_source');
  if (sourceName !== undefined && source !== undefined) {
    throw new UserError(`AWS profile ${quoted(name)} has both source_profile and credential_source: keep one`);
  }
  if (source !== undefined) return credentialSource(name, source, at);
  if (sourceName === undefined) {
    throw new UserError(
      `AWS profile ${quoted(name)} has role_arn but no source_profile, credential_source or ` +
        'web_identity_token_file: add one',
    );
  }
  const sourceProfile = loadProfile(at.files, sourceName);
  if (!sourceProfile) {
    throw new UserError(`AWS profile ${quoted(name)}: its source_profile ${quoted(sourceName)} does not exist`);
  }
  const ownKeys = hasKeys(sourceProfile.settings);
  if (at.visited.includes(sourceName) && !(sourceName === name && ownKeys)) {
    throw new UserError(`AWS profile ${quoted(name)}: source_profile loops through ${at.visited.join(' → ')}`);
  }
  const next = { ...at, visited: [...at.visited, sourceName] };
  const chained = await resolveProfile(sourceProfile, next, !ownKeys);
  if (!chained.assumeRole) return chained;
  return (await import('./sts-session.js')).assumeNow(chained, sourceName, stsOptions(at));
}

async function resolveProfile(profile: SharedProfile, at: Resolution, roles = true): Promise<AwsCredential> {
  const { name, settings } = profile;
  const step = profileStep(profile, roles);
  switch (step) {
    case 'role_arn': {
      const roleArn = settings.get('role_arn')!;
      const base = await baseOf(profile, at);
      return {
        ...base,
        assumeRole: roleOf(settings, roleArn),
        identity: `${roleArn} (profile ${name}, via ${base.identity})`,
      };
    }
    case 'web_identity_token_file': {
      const { awsConfiguredWebIdentity, webIdentitySettings } = await import('./web-identity.js');
      // The variables count for the selected profile only, as botocore turns them off for a source profile.
      const found = webIdentitySettings(at.visited.length === 1 ? at.aws : undefined, settings);
      return awsConfiguredWebIdentity(found, stsOptions(at));
    }
    case 'sso':
      return (await import('./sso.js')).awsSso(profile, at.files, at.options);
    case 'keys in the credentials file':
      return fileKeys(profile.credentialsFile!, name, at.files.credentials);
    case 'credential_process':
      return (await import('./credential-process.js')).awsFromProcess(settings.get('credential_process')!, name, {
        env: at.options.env ?? {},
        timeoutMs: at.aws.processTimeoutMs,
      });
    case 'keys in the config file':
      return fileKeys(profile.configFile!, name, at.files.config);
    default:
      throw new UserError(
        `AWS profile ${quoted(name)} holds no credentials (no keys, role_arn, sso_session or credential_process): ` +
          `add them with aws configure --profile ${quoted(name)}`,
      );
  }
}

const stsOptions = (at: Resolution) => ({
  ...(at.options.stsEndpoint ? { stsEndpoint: at.options.stsEndpoint } : {}),
  ...(at.options.timeoutMs ? { timeoutMs: at.options.timeoutMs } : {}),
  ...(at.region ? { region: at.region } : {}),
});

/** The credential the selected profile stands for; `assumeRole` is set when a role must still be assumed with it. */
export async function awsFromProfile(
  aws: AwsIdentityConfig,
  files: AwsSharedFiles,
  options: ProfileOptions = {},
): Promise<AwsCredential> {
  const profile = selectedProfile(aws, files);
  if (!profile) {
    throw new UserError(
      `no AWS profile "default" in ${files.credentials} or ${files.config}: run aws configure, or set AWS_PROFILE`,
    );
  }
  const region = aws.region ?? profile.settings.get('region');
  return resolveProfile(profile, { aws, files, options, ...(region ? { region } : {}), visited: [profile.name] });
}
