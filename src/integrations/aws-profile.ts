// `login --aws-profile NAME`: an access key from the AWS CLI's files (`~/.aws/credentials`, `~/.aws/config`,
// or AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE), so the secret is never typed or piped. The credentials
// file names sections `[name]`, the config file `[profile name]` (and `[default]`); a profile with `role_arn`
// and `source_profile` takes its key from the source profile, as the CLI does.
import { readFileSync } from 'node:fs';
import { processConfig } from '../config.js';
import { UserError } from '../errors.js';
import { quoted } from '../foreign-text.js';

export interface AwsProfileKey {
  accessKeyId: string;
  secretAccessKey: string;
  roleArn?: string;
}

type Sections = Map<string, Map<string, string>>;

/** INI as the AWS CLI writes it; indented lines (nested `s3 =` settings) are not ours and are skipped. */
export function parseAwsIni(text: string, isConfigFile: boolean): Sections {
  const sections: Sections = new Map();
  let current: Map<string, string> | undefined;
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
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseAwsIni(text, isConfigFile);
}

export function readAwsProfile(name: string): AwsProfileKey {
  const files = processConfig().awsFiles;
  const credentials = readSections(files.credentials, false);
  const config = readSections(files.config, true);
  const setting = (profile: string, key: string) => credentials.get(profile)?.get(key) ?? config.get(profile)?.get(key);
  if (!credentials.has(name) && !config.has(name)) {
    throw new UserError(`no AWS profile ${quoted(name)} in ${files.credentials} or ${files.config}`);
  }
  const roleArn = setting(name, 'role_arn');
  const keyProfile = (roleArn && setting(name, 'source_profile')) || name;
  const accessKeyId = setting(keyProfile, 'aws_access_key_id');
  const secretAccessKey = setting(keyProfile, 'aws_secret_access_key');
  if (!accessKeyId || !secretAccessKey) {
    throw new UserError(
      `the AWS profile ${quoted(keyProfile)} holds no aws_access_key_id and aws_secret_access_key ` +
        '(SSO and credential_process profiles cannot be imported: log in with -u KEY_ID --password-stdin)',
    );
  }
  if (setting(keyProfile, 'aws_session_token')) {
    throw new UserError(
      `the AWS profile ${quoted(keyProfile)} holds temporary credentials (aws_session_token), which expire: ` +
        'import a long-term access key, with role_arn for a role',
    );
  }
  return { accessKeyId, secretAccessKey, ...(roleArn ? { roleArn } : {}) };
}
