// A cross-process lock: an exclusively created lock file holding the owner's PID.
// Node has no flock(), so a lock left by a killed process is detected (owner PID
// gone, or older than STALE_AFTER_MS) and taken over by renaming it away first, so
// two waiters can never both delete a lock that a third has just created.
import { linkSync, openSync, closeSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ensurePrivateDir } from './atomic-write.js';
import { UserError } from '../errors.js';

const STALE_AFTER_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 20_000;

function tryCreate(lockPath: string): boolean {
  try {
    const fd = openSync(lockPath, 'wx', 0o600);
    writeSync(fd, `${process.pid}\n`);
    closeSync(fd);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function ownerPid(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, 'utf8'), 10);
    return Number.isFinite(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(lockPath: string): boolean {
  try {
    const age = Date.now() - statSync(lockPath).mtimeMs;
    if (age > STALE_AFTER_MS) return true;
    const pid = ownerPid(lockPath);
    // A lock file that is still being written has no PID yet: give it a moment.
    return pid === undefined ? age > 1000 : pid !== process.pid && !isAlive(pid);
  } catch {
    return false; // vanished meanwhile: just retry creating it
  }
}

/** Moves a stale lock aside; if what we moved turns out to be live after all, puts it back. */
function breakStaleLock(lockPath: string): void {
  const aside = `${lockPath}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return; // someone else broke it first
  }
  const pid = ownerPid(aside);
  if (pid !== undefined && pid !== process.pid && isAlive(pid)) {
    try { linkSync(aside, lockPath); } catch { /* a new owner exists; theirs wins */ }
  }
  try { unlinkSync(aside); } catch { /* already gone */ }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withLock<T>(lockPath: string, action: () => Promise<T> | T, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
  ensurePrivateDir(dirname(lockPath));
  const deadline = Date.now() + timeoutMs;
  while (!tryCreate(lockPath)) {
    if (isStale(lockPath)) { breakStaleLock(lockPath); continue; }
    if (Date.now() > deadline) {
      throw new UserError(`timed out after ${timeoutMs / 1000} s waiting for the lock ${lockPath} (held by PID ${ownerPid(lockPath) ?? 'unknown'})`);
    }
    await sleep(5 + Math.random() * 20);
  }
  try {
    return await action();
  } finally {
    try { unlinkSync(lockPath); } catch { /* broken as stale by someone else: nothing to release */ }
  }
}
