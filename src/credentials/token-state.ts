// What the token cache knows about a login, for the adapters that show or schedule it (`ls`, the
// daemon): they ask here and never open the cache, its records or its locks themselves.
import { KIND_TRAITS } from '../clouds/registry.js';
import { withLock } from '../fsutil/lock.js';
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
