// Answering `get`: find the entry for the server, read its secret. (Exchanging kinds
// turn the secret into a short-lived token here once the providers exist.)
import { CredentialsNotFoundError, UserError } from '../errors.js';
import { findBestMatch } from '../hosts/match.js';
import { normalizeServer } from '../hosts/normalize.js';
import { readMapping } from '../mapping/mapping-file.js';
import type { MappingEntry } from '../mapping/types.js';
import { openStore } from '../secrets/select-store.js';

export interface ResolvedCredential {
  entry: MappingEntry;
  username: string;
  secret: string;
}

export function findEntry(serverURL: string): MappingEntry {
  const target = normalizeServer(serverURL);
  const entry = findBestMatch(readMapping().entries, target, (e) => normalizeServer(e.server));
  if (!entry) throw new CredentialsNotFoundError();
  return entry;
}

export async function readSecret(entry: MappingEntry): Promise<string> {
  const store = await openStore(entry.store);
  const secret = await store.read(entry.secretRef);
  if (secret === undefined) {
    // A real failure, not "not found": the client would silently go anonymous.
    throw new UserError(`the login for ${entry.serverURL} is mapped but its secret is missing from ${store.describe(entry.secretRef)}; log in again`);
  }
  return secret;
}

export async function resolveCredential(serverURL: string): Promise<ResolvedCredential> {
  const entry = findEntry(serverURL);
  return { entry, username: entry.username, secret: await readSecret(entry) };
}
