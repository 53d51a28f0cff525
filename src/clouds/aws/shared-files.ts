// The AWS CLI's shared files as botocore reads them (configloader.py): ~/.aws/credentials holds `[name]`
// sections; ~/.aws/config holds `[default]`, `[profile name]` and `[sso-session name]` (other sections are not
// profiles). A profile's settings are the config file's with the credentials file's on top, but the static keys
// of each file are a step of their own in the chain, so both halves are kept. A line that is none of a section,
// `key = value`, an indented continuation or a comment is refused as botocore refuses it, in one line naming
// the file and the line.
import type { AwsIdentityConfig } from '../../config.js';
import { UserError } from '../../errors.js';
import { foreignText, quoted } from '../../foreign-text.js';
import { readCappedFile } from '../source-io.js';

/** Where the shared files are (AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE) and the SSO token cache. */
export interface AwsSharedFiles {
  credentials: string;
  config: string;
  ssoCache?: string;
}

export type Settings = ReadonlyMap<string, string>;
type Sections = Map<string, Map<string, string>>;

/** One profile: its merged settings, and each file's own half (for the static-key steps). */
export interface SharedProfile {
  name: string;
  settings: Settings;
  credentialsFile?: Settings;
  configFile?: Settings;
}

/** The shared files are small; anything this large is not one. */
const MAX_FILE_BYTES = 1024 * 1024;

/** INI as configparser reads it; `isConfigFile` maps `[profile x]` to `x` and `[sso-session x]` to `sso-session x`. */
export function parseAwsIni(text: string, isConfigFile: boolean, path = 'the file'): Sections {
  const sections: Sections = new Map();
  let current: Map<string, string> | undefined;
  const lines = text.split(/\r?\n/);
  for (const [index, line] of lines.entries()) {
    if (/^\s*([#;].*)?$/.test(line)) continue;
    if (/^\s/.test(line) && current) continue; // a nested block (`s3 =` then indented keys): not a credential
    const section = /^\[\s*([^\]]+?)\s*\]\s*$/.exec(line);
    if (section) {
      const name = isConfigFile ? configSectionName(section[1]!) : section[1]!;
      current = new Map();
      if (name !== undefined) sections.set(name, current);
      continue;
    }
    const pair = /^([^=:\s][^=:]*?)\s*[=:]\s*(.*?)\s*$/.exec(line);
    if (!pair || !current) {
      const what = current ? 'is not `key = value`' : 'comes before any [section]';
      throw new UserError(
        `the AWS shared file ${path} cannot be read: line ${index + 1} ${what}${shownKey(line)}: ` +
          'fix the file as `aws configure` writes it',
      );
    }
    current.set(pair[1]!.toLowerCase(), pair[2]!);
  }
  return sections;
}

/** The key of a line, never its value (a secret key may follow the `=`); nothing for a line without one. */
function shownKey(line: string): string {
  const key = /^\s*([^=:]{1,40})\s*[=:]/.exec(line)?.[1]?.trim();
  return key ? ` (${foreignText(key, 40)} = …)` : '';
}

/** `profile x` → x, `default` → default, `sso-session x` kept as is; anything else is not a profile (undefined). */
function configSectionName(raw: string): string | undefined {
  const profile = /^profile\s+(.+)$/.exec(raw);
  if (profile) return profile[1]!.trim();
  if (raw === 'default' || /^sso-session\s+\S/.test(raw)) return raw.replace(/\s+/, ' ');
  return undefined;
}

function readSections(path: string, isConfigFile: boolean): Sections {
  let text: string;
  try {
    text = readCappedFile(path, MAX_FILE_BYTES);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return new Map();
    throw new UserError(`cannot read the AWS shared file ${path}: ${(error as Error).message}`);
  }
  return parseAwsIni(text, isConfigFile, path);
}

/** The profile named `name` in either file, or undefined when neither has it. */
export function loadProfile(files: AwsSharedFiles, name: string): SharedProfile | undefined {
  const credentialsFile = readSections(files.credentials, false).get(name);
  const configFile = readSections(files.config, true).get(name);
  if (!credentialsFile && !configFile) return undefined;
  const settings = new Map([...(configFile ?? []), ...(credentialsFile ?? [])]);
  return { name, settings, ...(credentialsFile ? { credentialsFile } : {}), ...(configFile ? { configFile } : {}) };
}

/** The profile's settings, the credentials file's winning over the config file's (as the CLI merges them). */
export function profileSettings(files: AwsSharedFiles, name: string): Settings | undefined {
  return loadProfile(files, name)?.settings;
}

/** The `[sso-session NAME]` section of the config file. */
export function ssoSessionSettings(files: AwsSharedFiles, name: string): Settings | undefined {
  return readSections(files.config, true).get(`sso-session ${name}`);
}

/** The profile the SDKs would use: AWS_PROFILE, else AWS_DEFAULT_PROFILE, else `default`. */
export const selectedProfileName = (aws: AwsIdentityConfig): string => aws.profile ?? 'default';

/**
 * The selected profile; a profile named by a variable that exists in neither file is an error (never a silent
 * fall-through to another identity); an absent `default` is undefined.
 */
export function selectedProfile(aws: AwsIdentityConfig, files: AwsSharedFiles): SharedProfile | undefined {
  const name = selectedProfileName(aws);
  const profile = loadProfile(files, name);
  if (!profile && aws.profileVariable) {
    throw new UserError(
      `no AWS profile ${quoted(name)} (named by ${aws.profileVariable}) in ${files.credentials} or ${files.config}: ` +
        `create it (aws configure --profile ${quoted(name)}) or unset ${aws.profileVariable}`,
    );
  }
  return profile;
}
