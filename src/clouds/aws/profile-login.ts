// `login --aws-profile NAME`: an access key from the AWS CLI's files (`~/.aws/credentials`, `~/.aws/config`,
// or AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE), so the secret is never typed or piped. The files are read
// as the aws-profile identity source reads them; a profile with `role_arn` and `source_profile` takes its key
// from the source profile, as the CLI does. Only a long-term key is imported: it is stored, and must not expire.
import { UserError } from '../../errors.js';
import { quoted } from '../../foreign-text.js';
import { type AwsSharedFiles, profileSettings } from './shared-files.js';

export interface AwsProfileKey {
  accessKeyId: string;
  secretAccessKey: string;
  roleArn?: string;
}

export function readAwsProfile(name: string, files: AwsSharedFiles): AwsProfileKey {
  const settings = profileSettings(files, name);
  if (!settings) throw new UserError(`no AWS profile ${quoted(name)} in ${files.credentials} or ${files.config}`);
  const roleArn = settings.get('role_arn');
  const keyProfile = (roleArn && settings.get('source_profile')) || name;
  const keys = keyProfile === name ? settings : profileSettings(files, keyProfile);
  const accessKeyId = keys?.get('aws_access_key_id');
  const secretAccessKey = keys?.get('aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) {
    throw new UserError(
      `the AWS profile ${quoted(keyProfile)} holds no aws_access_key_id and aws_secret_access_key ` +
        '(SSO and credential_process profiles cannot be imported: log in with -u KEY_ID --password-stdin, ' +
        'or use --source aws-profile)',
    );
  }
  if (keys?.get('aws_session_token')) {
    throw new UserError(
      `the AWS profile ${quoted(keyProfile)} holds temporary credentials (aws_session_token), which expire: ` +
        'import a long-term access key, with role_arn for a role, or use --source aws-profile',
    );
  }
  return { accessKeyId, secretAccessKey, ...(roleArn ? { roleArn } : {}) };
}
