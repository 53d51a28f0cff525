// Reading an entry's long-lived secret from the store the mapping names.
import { UserError } from '../errors.js';
import type { MappingEntry } from '../mapping/types.js';
import { openStore } from '../secrets/select-store.js';

export async function readSecret(entry: MappingEntry): Promise<string> {
  const store = await openStore(entry.store);
  const secret = await store.read(entry.secretRef);
  if (secret === undefined) {
    // A real failure, not "not found": the client would silently go anonymous.
    throw new UserError(`the login for ${entry.serverURL} is mapped but its secret is missing from ${store.describe(entry.secretRef)}; log in again`);
  }
  return secret;
}
