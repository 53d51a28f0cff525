// Reading an entry's long-lived secret from the store the mapping names.
import { UserError } from '../errors.js';
import type { MappingEntry } from '../mapping/types.js';
import { openStore } from '../secrets/select-store.js';
import type { SecretPlacement } from './secret-placement.js';

/** `what` names the secret in the error, e.g. "the login for us.icr.io". */
export async function readStoredSecret(source: SecretPlacement, what: string): Promise<string> {
  const store = await openStore(source.store);
  const secret = await store.read(source.secretRef);
  if (secret === undefined) {
    // A real failure, not "not found": the client would silently go anonymous.
    throw new UserError(`${what} is mapped but its secret is missing from ${store.describe(source.secretRef)}; log in again`);
  }
  return secret;
}

export function readSecret(entry: MappingEntry): Promise<string> {
  return readStoredSecret(entry, `the login for ${entry.serverURL}`);
}
