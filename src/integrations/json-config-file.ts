// Other programs' JSON config files (docker's config.json, containers' auth.json):
// read tolerating absence, written atomically with their mode and indentation kept,
// after a backup of the previous content. Unknown keys are preserved untouched.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { emptyRecord, Field, InvalidInputError, parseJson } from '../validate.js';

export interface AuthEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  [key: string]: unknown;
}

/** What docker and containers/image decode; like them, null stands for "none" anywhere. */
export interface ClientConfig {
  credHelpers?: Record<string, string | null> | null;
  credsStore?: string | null;
  auths?: Record<string, AuthEntry | null> | null;
  [key: string]: unknown;
}

const AUTH_STRINGS = ['auth', 'username', 'password', 'identitytoken', 'registrytoken'];

/** Checks the fields lanyard reads, with the types the clients' Go decoders demand; others pass untouched. */
function checkClientConfig(root: Field): ClientConfig {
  const helpers = root.member('credHelpers');
  if (!helpers.absentOrNull) for (const [, helper] of helpers.members()) helper.nullableString();
  root.member('credsStore').nullableString();
  const auths = root.member('auths');
  if (!auths.absentOrNull) {
    for (const [, entry] of auths.members()) {
      if (!entry.absentOrNull) for (const key of AUTH_STRINGS) entry.member(key).nullableString();
    }
  }
  return root.value as ClientConfig;
}

export interface LoadedConfig {
  path: string;
  exists: boolean;
  text: string;
  data: ClientConfig;
}

export function loadClientConfig(path: string): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { path, exists: false, text: '', data: emptyRecord() };
    }
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (text.trim() === '') return { path, exists: true, text, data: emptyRecord() };
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch {
    throw new UserError(`${path} is not valid JSON; fix it by hand first (nothing was changed)`);
  }
  try {
    return { path, exists: true, text, data: checkClientConfig(Field.root(path, parsed)) };
  } catch (error) {
    if (!(error instanceof InvalidInputError)) throw error;
    throw new UserError(`${error.message}; fix it by hand first (nothing was changed)`);
  }
}

/** docker writes config.json with tabs; keep whatever the file uses. */
function indentationOf(text: string): string {
  return /^[{[]\r?\n([ \t]+)/.exec(text)?.[1] ?? '\t';
}

export function renderConfig(loaded: LoadedConfig, data: ClientConfig): string {
  return `${JSON.stringify(data, null, indentationOf(loaded.text))}\n`;
}

export const backupPathFor = (path: string) => `${path}.lanyard-backup`;

/**
 * Replaces the file's content, keeping its mode. A symlinked config (dotfile managers)
 * is written through the link, as docker does. The previous content goes to the
 * backup first — or `backupText`, when secrets moved out of it must not linger.
 */
export function saveClientConfig(loaded: LoadedConfig, text: string, backupText?: string): string | undefined {
  let mode = 0o600;
  let target = loaded.path;
  if (loaded.exists) {
    target = realpathSync(loaded.path);
    mode = statSync(target).mode & 0o777;
    writeFileAtomic(backupPathFor(target), backupText ?? loaded.text, mode);
  }
  writeFileAtomic(target, text, mode);
  return loaded.exists ? backupPathFor(target) : undefined;
}

/** Login material in a config's text, masked for display (a --dry-run diff may end up in CI logs). */
export function redactLogins(text: string): string {
  return text.replace(/("(?:auth|password|identitytoken|registrytoken)"\s*:\s*)"[^"]*"/gi, '$1"[redacted]"');
}
