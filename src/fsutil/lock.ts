// A cross-process lock: an exclusively created lock file holding "<owner PID> <token>".
// Node has no flock(), so a lock left by a killed process is recognised (its owner is
// gone, or the PID now belongs to a process started after the lock was written) and
// taken over by renaming it aside first and checking what was moved, so a waiter can
// never delete a lock that another has just created. A live owner is never overruled,
// however long it holds the lock: waiters give up at their deadline instead.
// Only regular files are locks: anything else at the path (a dangling symlink, a FIFO)
// is debris, removed at once without following or opening it; a directory is reported.
import {
  constants,
  fstatSync,
  linkSync,
  lstatSync,
  openSync,
  closeSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { randomHex } from '../hash-and-random.js';
import { hasProcessStartTimes, hostPlatform, type Platform } from '../platform.js';
import { cannotWrite, ensurePrivateDir } from './atomic-write.js';
import { isAlive } from './process-alive.js';
import { sweepAbandonedTempFiles } from './temp-files.js';
import { UserError } from '../errors.js';

/** The lock file could not be created at all (full disk, read-only file system): nobody holds it. */
export class LockUnavailableError extends UserError {}

/** The lock stayed held by a live owner past the waiter's deadline. */
export class LockTimeoutError extends UserError {}

const DEFAULT_TIMEOUT_MS = 20_000;
// A lock file without a readable owner is being written right now, or is debris.
const UNREADABLE_GRACE_MS = 1000;
const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on every Linux architecture we build for

interface Owner {
  pid: number;
  token: string;
}

/** The old way, for file systems without hard links: the lock is empty for a moment after it appears. */
function tryCreateInPlace(lockPath: string, owner: Owner): boolean {
  let fd: number;
  try {
    fd = openSync(lockPath, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new LockUnavailableError(cannotWrite(lockPath, error).message);
  }
  try {
    writeSync(fd, `${owner.pid} ${owner.token}\n`);
  } catch (error) {
    // A full disk can take the file but not its content: leave no ownerless lock behind.
    try {
      unlinkSync(lockPath);
    } catch {
      /* already gone */
    }
    throw new LockUnavailableError(cannotWrite(lockPath, error).message);
  } finally {
    closeSync(fd);
  }
  return true;
}

const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

/**
 * The lock appears with its owner already in it (a hard link to a finished file), so a waiter never
 * finds it empty and, if the owner was descheduled for a while on a busy machine, takes it for debris.
 */
function tryCreate(lockPath: string, owner: Owner): boolean {
  const content = join(dirname(lockPath), `.${basename(lockPath)}.${owner.pid}.${owner.token}.tmp`);
  try {
    writeFileSync(content, `${owner.pid} ${owner.token}\n`, { flag: 'wx', mode: 0o600 });
    linkSync(content, lockPath);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (NO_HARD_LINKS.has(code)) return tryCreateInPlace(lockPath, owner);
    throw new LockUnavailableError(cannotWrite(lockPath, error).message);
  } finally {
    try {
      unlinkSync(content);
    } catch {
      /* never written */
    }
  }
}

// Never follows a symlink, never blocks on a FIFO put in the lock's place.
const READ_LOCK_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

interface LockFile {
  /** Undefined when the content is not "<pid> <token>" (being written by an old version, or debris). */
  owner: Owner | undefined;
  writtenAt: number;
}

/**
 * The owner and write time of the lock file at `path`, both from one open file: a stat and a read by path
 * can see two different locks when one is released and the next taken in between, and the old lock's age
 * would then be held against the new owner (judged a reused PID, its live lock broken).
 */
function readLockFile(path: string): LockFile | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, READ_LOCK_FLAGS);
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    const [pid, token] = readFileSync(fd, 'utf8').trim().split(' ');
    const parsed = Number.parseInt(pid ?? '', 10);
    // A bare PID: a lock from before tokens.
    return { owner: parsed > 0 ? { pid: parsed, token: token ?? '' } : undefined, writtenAt: stat.mtimeMs };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

const readOwner = (path: string): Owner | undefined => readLockFile(path)?.owner;

let bootTimeMs: number | undefined;

/** When a process started (Linux /proc), to tell a reused PID from the lock's real owner; elsewhere unknown. */
export function processStartMs(pid: number, platform: Platform = hostPlatform()): number | undefined {
  if (!hasProcessStartTimes(platform)) return undefined;
  try {
    bootTimeMs ??= Number(/^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'))?.[1]) * 1000;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the command name may hold spaces
    const ticks = Number(fields[19]); // field 22 of the whole line: starttime
    return Number.isFinite(bootTimeMs) && Number.isFinite(ticks)
      ? bootTimeMs + (ticks * 1000) / CLOCK_TICKS_PER_SECOND
      : undefined;
  } catch {
    return undefined;
  }
}

/** The owner of a stale lock, or undefined when the lock is held (or already gone). */
function staleOwner(lockPath: string): Owner | { pid: 0; token: '' } | undefined {
  try {
    const stat = lstatSync(lockPath);
    if (stat.isDirectory()) throw new UserError(`the lock ${lockPath} is a directory, not a lock file: remove it`);
    if (!stat.isFile()) return { pid: 0, token: '' }; // never a lock that anyone holds
  } catch (error) {
    if (error instanceof UserError) throw error;
    return undefined;
  }
  const lock = readLockFile(lockPath);
  if (!lock) return undefined; // released meanwhile
  const { owner, writtenAt } = lock;
  if (!owner) return Date.now() - writtenAt > UNREADABLE_GRACE_MS ? { pid: 0, token: '' } : undefined;
  if (!isAlive(owner.pid)) return owner;
  const started = processStartMs(owner.pid);
  return started !== undefined && started > writtenAt + 1000 ? owner : undefined;
}

/** Moves a stale lock aside; puts it back if what was moved is not the lock judged stale. True if removed. */
function breakStaleLock(lockPath: string, stale: Owner | { pid: 0; token: '' }): boolean {
  const aside = `${lockPath}.stale.${process.pid}.${randomHex(4)}`;
  try {
    renameSync(lockPath, aside);
  } catch {
    return false; // someone else broke it first
  }
  const moved = readOwner(aside);
  const same = stale.pid === 0 ? moved === undefined : moved?.token === stale.token;
  if (!same) {
    try {
      linkSync(aside, lockPath);
    } catch {
      /* a newer lock exists; it wins */
    }
  }
  try {
    unlinkSync(aside);
  } catch {
    /* already gone */
  }
  return same;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function withLock<T>(
  lockPath: string,
  action: () => Promise<T> | T,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<T> {
  try {
    ensurePrivateDir(dirname(lockPath));
  } catch (error) {
    throw error instanceof UserError ? new LockUnavailableError(error.message) : error;
  }
  sweepAbandonedTempFiles(lockPath); // content files of lock takers killed before they linked them
  const me: Owner = { pid: process.pid, token: randomHex(8) };
  const deadline = Date.now() + timeoutMs;
  while (!tryCreate(lockPath, me)) {
    const stale = staleOwner(lockPath);
    if (stale && breakStaleLock(lockPath, stale)) continue;
    if (Date.now() > deadline) {
      throw new LockTimeoutError(
        `timed out after ${timeoutMs / 1000} s waiting for the lock ${lockPath} ` +
          `(held by PID ${readOwner(lockPath)?.pid ?? 'unknown'})`,
      );
    }
    await sleep(5 + Math.random() * 20);
  }
  try {
    return await action();
  } finally {
    // Release only our own lock (never one that replaced it after being judged stale).
    if (readOwner(lockPath)?.token === me.token) {
      try {
        unlinkSync(lockPath);
      } catch {
        /* already gone */
      }
    }
  }
}
