// Why `--source auto` passes over aws-profile or aws-web-identity here. botocore's chain interleaves the two: a
// profile's role_arn comes before web identity, web identity (AWS_WEB_IDENTITY_TOKEN_FILE, or the profile's
// web_identity_token_file) before the profile's SSO, keys and credential_process. A profile named by a variable
// that does not exist stops `auto` with its error, as it stops every SDK.
import type { AwsIdentityConfig } from '../../config.js';
import { quoted } from '../../foreign-text.js';
import { profileStep } from './profile-source.js';
import { type AwsSharedFiles, selectedProfile } from './shared-files.js';

export function profileNotConfigured(aws: AwsIdentityConfig, files: AwsSharedFiles): string | undefined {
  const profile = selectedProfile(aws, files);
  if (!profile) return 'AWS_PROFILE not set, no default profile';
  const step = profileStep(profile);
  if (!step) return `profile ${quoted(profile.name)} holds no credentials`;
  if (step === 'role_arn') return undefined;
  if (step === 'web_identity_token_file') return 'its web identity is aws-web-identity’s';
  if (aws.webIdentityTokenFile) return `AWS_WEB_IDENTITY_TOKEN_FILE comes before the profile's ${step}`;
  return undefined;
}

export function webIdentityNotConfigured(aws: AwsIdentityConfig, files: AwsSharedFiles): string | undefined {
  if (aws.webIdentityTokenFile) return undefined;
  const profile = selectedProfile(aws, files);
  return profile?.settings.has('web_identity_token_file') ? undefined : 'AWS_WEB_IDENTITY_TOKEN_FILE not set';
}
