// Other programs' JSON config files (docker's config.json, containers' auth.json):
// read tolerating absence, written atomically with their mode and indentation kept,
// after a backup of the previous content. Unknown keys are preserved untouched.
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';

export interface ClientConfig {
  credHelpers?: Record<string, string>;
  credsStore?: string;
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; [key: string]: unknown }>;
  [key: string]: unknown;
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
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, exists: false, text: '', data: {} };
    throw new UserError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (text.trim() === '') return { path, exists: true, text, data: {} };
  try {
    const data = JSON.parse(text) as unknown;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) throw new Error('not an object');
    return { path, exists: true, text, data: data as ClientConfig };
  } catch {
    throw new UserError(`${path} is not valid JSON; fix it by hand first (nothing was changed)`);
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
