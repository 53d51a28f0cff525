// Atomic replacement of a file we own: write a private temp file beside it, fsync,
// rename over the target. A crash at any point leaves either the old or the new
// content, never a torn file.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';
import { sweepAbandonedTempFiles } from './temp-files.js';

export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function cannotWrite(path: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = code === 'ENOSPC' ? 'no space left on the device' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : (error as Error).message;
  return new UserError(`cannot write ${path}: ${reason}; its previous content is unchanged`);
}

export function writeFileAtomic(path: string, data: string, mode = 0o600): void {
  ensurePrivateDir(dirname(path));
  sweepAbandonedTempFiles(path);
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
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
    try { unlinkSync(temp); } catch { /* never created */ }
    throw cannotWrite(path, error);
  }
}
