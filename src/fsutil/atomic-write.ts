// Atomic replacement of a file we own: write a private temp file beside it, fsync,
// rename over the target. A crash at any point leaves either the old or the new
// content, never a torn file.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomHex } from '../hash-and-random.js';
import { UserError } from '../errors.js';
import { sweepAbandonedTempFiles } from './temp-files.js';

// What the file system said, as a person reads it, with the place it said it about.
const WRITE_FAILURES: Record<string, string> = {
  ENOSPC: 'no space left on',
  EDQUOT: 'disk quota exceeded on',
  EROFS: 'read-only file system at',
  EIO: 'input/output error on',
  EACCES: 'permission denied on',
  EPERM: 'permission denied on',
};

/**
 * One line for a failed write of a file (or directory) we own. Every writer here either
 * replaces atomically or has not started yet, so what was there before is still there.
 */
export function cannotWrite(path: string, error: unknown): UserError {
  const failure = WRITE_FAILURES[(error as NodeJS.ErrnoException).code ?? ''];
  return new UserError(
    failure
      ? `${failure} ${dirname(path)} (writing ${basename(path)}); nothing changed`
      : `cannot write ${path}: ${(error as Error).message}; nothing changed`,
  );
}

export function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw cannotWrite(dir, error);
  }
}

export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): void {
  ensurePrivateDir(dirname(path));
  sweepAbandonedTempFiles(path);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomHex(4)}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', mode);
    // writeFileSync on a descriptor loops until every byte is written (a bare writeSync
    // may write part of it on a full disk and report success), and throws ENOSPC.
    writeFileSync(fd, data);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (error) {
    if (fd !== undefined) closeSync(fd);
    try {
      unlinkSync(temp);
    } catch {
      /* never created */
    }
    throw cannotWrite(path, error);
  }
}
