// Forgetting a login. Only the exact entry is erased: `docker logout us.icr.io` must
// not remove a `*.icr.io` pattern that serves other registries too. The mapping entry
// goes first, so a failure afterwards leaves an orphaned secret, not a dangling entry.
import { existsSync } from 'node:fs';
import { describeError } from '../errors.js';
import { withLock } from '../fsutil/lock.js';
import { log } from '../log.js';
import { normalizeServer } from '../hosts/normalize.js';
import { updateMapping } from '../mapping/mapping-file.js';
import type { MappingEntry } from '../mapping/types.js';
import { sweepUnusedSecrets } from './owned-secrets.js';
import { discardSecret } from './secret-placement.js';
import { tokenCache, type TokenCache } from '../tokens/token-cache.js';
import type { CoreContext } from './core-context.js';
import { registryTokenServers } from './token-state.js';

// An exchange is bounded by its request deadlines and retries; past this, forget the token anyway.
const EXCHANGE_WAIT_MS = 30_000;

/**
 * A logout must not leave a live token behind. An exchange in flight for this entry holds the entry's
 * cache lock and writes its token when it ends, so the token is forgotten under that lock, after it.
 * Runs after the secret is gone: a get that resolved the entry earlier and exchanges later finds no secret.
 */
async function forgetTokenAfterExchanges(cache: TokenCache, server: string): Promise<void> {
  const lock = cache.lockFor(server);
  if (!existsSync(cache.fileFor(server)) && !existsSync(lock)) return; // nothing cached, nothing in flight
  try {
    await withLock(lock, () => cache.forget(server), EXCHANGE_WAIT_MS);
  } catch (error) {
    cache.forget(server);
    log.warn(`forgot the cached token of ${server} without waiting for an exchange in flight: ${describeError(error)}`);
  }
}

/** The removed entry, or undefined when there was none (not an error: see the protocol verb). */
export async function eraseCredential(context: CoreContext, serverURL: string): Promise<MappingEntry | undefined> {
  const server = normalizeServer(serverURL);
  const removed = await updateMapping(async (mapping) => {
    await sweepUnusedSecrets(context, mapping);
    const index = mapping.entries.findIndex((e) => e.server === server.key);
    return index < 0 ? undefined : mapping.entries.splice(index, 1)[0];
  }, context.config.paths.mappingFile);
  if (!removed) return undefined;
  await discardSecret(context, removed);
  const cache = tokenCache(context.config.paths.runtimeDir);
  // A pattern with a token per registry leaves one for each registry it answered.
  for (const server of [removed.server, ...registryTokenServers(context, removed)])
    await forgetTokenAfterExchanges(cache, server);
  return removed;
}
