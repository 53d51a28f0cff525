// What the token cache knows about a login, for the adapters that show or schedule it (`ls`, the
// daemon): they ask here and never open the cache, its records or its locks themselves.
import { KIND_TRAITS } from '../clouds/registry.js';
import type { IssuedCredential } from '../clouds/provider.js';
import { describeError } from '../errors.js';
import { withLock } from '../fsutil/lock.js';
import { log } from '../log.js';
import type { MappingEntry } from '../mapping/types.js';
import { secretFingerprint } from '../tokens/fingerprint.js';
import { tokenCache, type CacheRecord } from '../tokens/token-cache.js';
import type { CoreContext } from './core-context.js';

export type TokenRecord = CacheRecord;
export type SecretCheck = NonNullable<CacheRecord['check']>;

/** Changes whenever the login's secret or settings do: a token of an older login is never its own. */
export const loginFingerprint = (context: CoreContext, entry: MappingEntry) => secretFingerprint(entry, context.config);

const cacheOf = (context: CoreContext) => tokenCache(context.config.paths.runtimeDir);

/** The cached record of this login, if any (a record of an older login counts as none). */
export function tokenRecord(context: CoreContext, entry: MappingEntry): TokenRecord | undefined {
  const record = cacheOf(context).read(entry.server, context.now());
  return record?.fingerprint === loginFingerprint(context, entry) ? record : undefined;
}

/**
 * The registries a pattern with a token per registry (`tokenPerRegistry`) holds tokens of this login for: those
 * it has answered. Empty for any other entry.
 */
export function registryTokenServers(context: CoreContext, entry: MappingEntry): string[] {
  if (!KIND_TRAITS[entry.kind].tokenPerRegistry?.(entry.server)) return [];
  const fingerprint = loginFingerprint(context, entry);
  const cache = cacheOf(context);
  return cache
    .servers()
    .filter((server) => server !== entry.server && cache.read(server, context.now())?.fingerprint === fingerprint);
}

/**
 * The token `login`'s check was answered becomes the login's first cached token, so the first `get` needs no
 * exchange of its own. Not a stored secret answered as is (a pass-through), nor the check of a pattern with a
 * token per registry (that token was for the region the check asked in). Only a cache: a failure is logged.
 */
export async function recordCheckToken(
  context: CoreContext,
  entry: MappingEntry,
  issued: IssuedCredential,
  answeredBy?: CacheRecord['answeredBy'],
): Promise<void> {
  if (KIND_TRAITS[entry.kind].tokenPerRegistry?.(entry.server)) return;
  const cache = cacheOf(context);
  const { username, secret, issuedAt, expiresAt } = issued;
  const record: CacheRecord = {
    version: 1,
    server: entry.server,
    fingerprint: loginFingerprint(context, entry),
    token: { username, secret, issuedAt, ...(expiresAt !== undefined ? { expiresAt } : {}) },
    lastRefresh: context.now(),
    ...(answeredBy ? { answeredBy } : {}),
  };
  try {
    cache.ensureDir();
    await withLock(cache.lockFor(entry.server), () => cache.write(record));
    log.info(`cached the token the login check for ${entry.server} was answered`);
  } catch (error) {
    log.warn(`not caching the token of the login check for ${entry.server}: ${describeError(error)}`);
  }
}

/** Creates the runtime dir owner-only, refusing one that is not ours, before anything is written there. */
export const prepareRuntimeDir = (context: CoreContext) => cacheOf(context).ensureDir();

/**
 * Records the result of a kind's check hook (the Docker Hub token check), under the entry's lock so that no
 * exchange's write undoes it.
 */
export async function recordSecretCheck(context: CoreContext, entry: MappingEntry, check: SecretCheck): Promise<void> {
  const cache = cacheOf(context);
  await withLock(cache.lockFor(entry.server), () => {
    const fingerprint = loginFingerprint(context, entry);
    const record = cache.read(entry.server, context.now());
    const base =
      record?.fingerprint === fingerprint ? record : { version: 1 as const, server: entry.server, fingerprint };
    cache.write({ ...base, check });
  });
}
