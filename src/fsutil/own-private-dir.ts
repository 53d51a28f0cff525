// A directory only this user may enter, for files other users must not reach (tokens, the daemon's socket):
// created 0700, and refused when it is a symlink or someone else's (planted in a shared place such as /tmp).
import { chmodSync, lstatSync } from 'node:fs';
import { UserError } from '../errors.js';
import { ensurePrivateDir } from './atomic-write.js';

/** Creates `dir` owner-only, or narrows it to 0700; throws one line when it is not this user's own directory. */
export function ensureOwnPrivateDir(dir: string, what: string): void {
  ensurePrivateDir(dir);
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid())) {
    throw new UserError(`${what} ${dir} is not a directory owned by you; remove it`);
  }
  if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
