// The short-lived token cache: one small JSON file per entry in the runtime dir
// (0700 dir, 0600 files, written atomically). It holds only derived, short-lived
// credentials, never the stored long-lived secret, plus the last failure so that
// waiters and the daemon do not hammer a service that just said no.
import { sha256Hex } from '../hash-and-random.js';
import { readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { ensureOwnPrivateDir } from '../fsutil/own-private-dir.js';
import { log } from '../log.js';
import { believableRecord } from './believable-record.js';
import type { CacheRecord } from './cache-record.js';

export type { CachedToken, CacheRecord, FailureRecord } from './cache-record.js';

/** The cache in one runtime dir: every operation on it, bound to where it lives. */
export interface TokenCache {
  fileFor(server: string): string;
  /** The entry's lock: held by the one process exchanging for it, and by a logout waiting for that exchange. */
  lockFor(server: string): string;
  /** Creates the runtime dir owner-only; refuses one that is a symlink or not ours. */
  ensureDir(): void;
  /** The record as far as it is believable at `now`; undefined when missing or torn beyond use. */
  read(server: string, now: number): CacheRecord | undefined;
  /** Saves the record; a failure (full disk, unusable runtime dir) is logged, never fatal: it is only a cache. */
  write(record: CacheRecord): void;
  forget(server: string): void;
  /** The server keys of every record cached (a pattern's per-registry tokens are found by these). */
  servers(): string[];
}

export function tokenCache(runtimeDir: string): TokenCache {
  const tokensDir = join(runtimeDir, 'tokens');
  const fileFor = (server: string) => join(tokensDir, `${sha256Hex(server).slice(0, 32)}.json`);
  const serverIn = (name: string): string | undefined => {
    try {
      const server = (JSON.parse(readFileSync(join(tokensDir, name), 'utf8')) as Partial<CacheRecord>).server;
      return typeof server === 'string' && fileFor(server) === join(tokensDir, name) ? server : undefined;
    } catch {
      return undefined; // gone meanwhile, or torn: it is only a cache
    }
  };
  const ensureDir = () => {
    for (const dir of [runtimeDir, tokensDir]) ensureOwnPrivateDir(dir, 'the runtime directory');
  };
  return {
    fileFor,
    lockFor: (server) => `${fileFor(server)}.lock`,
    ensureDir,
    read(server, now) {
      try {
        const record = JSON.parse(readFileSync(fileFor(server), 'utf8')) as CacheRecord;
        return record.version === 1 && record.server === server ? believableRecord(record, now) : undefined;
      } catch {
        return undefined; // missing or torn beyond use: it is only a cache
      }
    },
    write(record) {
      try {
        ensureDir();
        writeFileAtomic(fileFor(record.server), JSON.stringify(record), 0o600);
      } catch (error) {
        if (!(error instanceof UserError)) throw error;
        log.warn(`not caching the token state of ${record.server}: ${error.message}`);
      }
    },
    forget(server) {
      try {
        unlinkSync(fileFor(server));
      } catch {
        // nothing cached
      }
    },
    servers() {
      let names: string[];
      try {
        names = readdirSync(tokensDir).filter((name) => /^[0-9a-f]{32}\.json$/.test(name));
      } catch {
        return []; // no cache yet
      }
      return names.map(serverIn).filter((server): server is string => server !== undefined);
    },
  };
}
