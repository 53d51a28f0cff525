// The short-lived token cache: one small JSON file per entry in the runtime dir
// (0700 dir, 0600 files, written atomically). It holds only derived, short-lived
// credentials, never the stored long-lived secret, plus the last failure so that
// waiters and the daemon do not hammer a service that just said no.
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../fsutil/atomic-write.js';
import { log } from '../log.js';
import { processConfig } from '../config.js';
import { believableRecord } from './believable-record.js';

export interface CachedToken {
  username: string;
  secret: string;
  issuedAt: number;
  expiresAt?: number;
}

export interface FailureRecord {
  at: number;
  message: string;
  permanent: boolean;
  /** The service asked us not to come back before this time (Retry-After). */
  retryAt?: number;
  /** After a transient failure, keep answering the still-valid token until then instead of retrying. */
  serveCachedUntil?: number;
}

export interface CacheRecord {
  version: 1;
  server: string;
  /** Identifies the stored secret the token came from; a new secret never gets an old token. */
  fingerprint: string;
  token?: CachedToken;
  /** The provider answered with the stored secret itself; do not ask it again before this time. */
  passThroughUntil?: number;
  lastRefresh?: number;
  failure?: FailureRecord;
  /** Result of the last validity check of a non-exchanging secret (Docker Hub PATs). */
  check?: { at: number; ok: boolean; message?: string };
}

const tokensDir = () => join(processConfig().paths.runtimeDir, 'tokens');

export function cacheFileFor(server: string): string {
  return join(tokensDir(), `${createHash('sha256').update(server).digest('hex').slice(0, 32)}.json`);
}

/** The entry's lock: held by the one process exchanging for it, and by a logout waiting for that exchange. */
export const cacheLockFor = (server: string) => `${cacheFileFor(server)}.lock`;

/** Creates the runtime dir owner-only; refuses one that is a symlink or not ours. */
export function ensureRuntimeDir(): void {
  ensurePrivateDir(tokensDir());
  for (const dir of [processConfig().paths.runtimeDir, tokensDir()]) {
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid())) {
      throw new UserError(`the runtime directory ${dir} is not a directory owned by you; remove it`);
    }
    if ((stat.mode & 0o077) !== 0) chmodSync(dir, 0o700);
  }
}

export function readCacheRecord(server: string): CacheRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(cacheFileFor(server), 'utf8')) as CacheRecord;
    return record.version === 1 && record.server === server ? believableRecord(record, Date.now()) : undefined;
  } catch {
    return undefined; // missing or torn beyond use: it is only a cache
  }
}

/** Saves the record; a failure (full disk, unusable runtime dir) is logged, never fatal: it is only a cache. */
export function writeCacheRecord(record: CacheRecord): void {
  try {
    ensureRuntimeDir();
    writeFileAtomic(cacheFileFor(record.server), JSON.stringify(record), 0o600);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    log.warn(`not caching the token state of ${record.server}: ${error.message}`);
  }
}

export function forgetCachedToken(server: string): void {
  try {
    unlinkSync(cacheFileFor(server));
  } catch {
    // nothing cached
  }
}
