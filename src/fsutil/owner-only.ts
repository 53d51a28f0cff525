// Files that decide where secrets are sent (mapping.json) or hold them (secrets.json)
// are trusted only while no one but their owner can change them or their folder, as
// ssh treats its config: whoever can write there could send an API key anywhere.
import { statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { hasPosixModes, hostPlatform, type Platform } from '../platform.js';

export interface OwnerProblem {
  problem: string;
  /** One shell command that repairs it. */
  fix: string;
}

/** A path as one shell word, for fix commands a person may paste. */
export function shellWord(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}

/**
 * Whether mode bits let others read a file we keep private. Windows has no POSIX modes (Node and Bun report
 * 0666 for every writable file): there the ACL of the user's profile, which holds lanyard's folders, protects it.
 */
export const othersCanRead = (mode: number, platform: NodeJS.Platform) => platform !== 'win32' && !!(mode & 0o077);

/** Why someone other than the owner (or root) could change `path`, or undefined. */
export function othersCanChange(
  path: string,
  stats: Pick<Stats, 'mode' | 'uid'>,
  platform: Platform = hostPlatform(),
): OwnerProblem | undefined {
  const uid = process.getuid?.();
  if (!hasPosixModes(platform) || uid === undefined) return undefined;
  if (stats.uid !== uid && stats.uid !== 0) {
    const problem = `${path} belongs to another user (uid ${stats.uid})`;
    return { problem, fix: `sudo chown ${uid} ${shellWord(path)}` };
  }
  const mode = stats.mode & 0o777;
  if (mode & 0o022) {
    const problem = `${path} can be changed by other users (mode ${mode.toString(8)})`;
    return { problem, fix: `chmod go-w ${shellWord(path)}` };
  }
  return undefined;
}

/** The same for the folder that holds `file`: whoever can write there can replace the file. */
export function folderProblem(file: string): OwnerProblem | undefined {
  const folder = dirname(file);
  return othersCanChange(folder, statSync(folder));
}
