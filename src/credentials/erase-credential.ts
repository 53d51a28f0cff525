// Forgetting a login. Only the exact entry is erased: `docker logout us.icr.io` must
// not remove a `*.icr.io` pattern that serves other registries too. The mapping entry
// goes first, so a failure afterwards leaves an orphaned secret, not a dangling entry.
import { normalizeServer } from '../hosts/normalize.js';
import { updateMapping } from '../mapping/mapping-file.js';
import type { MappingEntry } from '../mapping/types.js';
import { discardSecret } from './secret-placement.js';
import { forgetCachedToken } from '../tokens/token-cache.js';

/** The removed entry, or undefined when there was none (not an error: see the protocol verb). */
export async function eraseCredential(serverURL: string): Promise<MappingEntry | undefined> {
  const server = normalizeServer(serverURL);
  const removed = await updateMapping((mapping) => {
    const index = mapping.entries.findIndex((e) => e.server === server.key);
    return index < 0 ? undefined : mapping.entries.splice(index, 1)[0];
  });
  if (!removed) return undefined;
  forgetCachedToken(removed.server); // a logout should not leave a live token behind
  await discardSecret(removed);
  return removed;
}
