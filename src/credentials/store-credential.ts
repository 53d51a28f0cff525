// Saving a login: the secret goes to a store under a fresh id, then the mapping entry
// is switched to it, then the old secret is removed. A crash between steps leaves the
// old login working (at worst an orphaned secret), never an entry without a secret.
import { randomBytes } from 'node:crypto';
import { UserError } from '../errors.js';
import { normalizeServer } from '../hosts/normalize.js';
import { inferKind } from '../mapping/infer-kind.js';
import { updateMapping } from '../mapping/mapping-file.js';
import type { Kind, MappingEntry, StoreName } from '../mapping/types.js';
import { openStore, storeForNewSecret } from '../secrets/select-store.js';

export interface NewLogin {
  serverURL: string;
  username: string;
  secret: string;
  kind?: Kind;
  store?: StoreName;
  /** With the env store: the variable that holds the secret. */
  secretEnv?: string;
  options?: Record<string, string>;
}

export async function storeCredential(login: NewLogin): Promise<MappingEntry> {
  const server = normalizeServer(login.serverURL);
  const store = login.secretEnv !== undefined ? 'env' : login.store;
  if (store === 'env' && !login.secretEnv) throw new UserError('the env store needs the variable that holds the secret: --secret-env VAR');
  let replaced: MappingEntry | undefined;
  const entry = await updateMapping(async (mapping) => {
    const target = await storeForNewSecret(mapping, store);
    const secretRef = target.name === 'env' ? login.secretEnv! : `${server.key}/${randomBytes(6).toString('hex')}`;
    await target.write(secretRef, login.secret);
    const next: MappingEntry = {
      server: server.key,
      serverURL: login.serverURL.trim(),
      kind: login.kind ?? inferKind(server.key, login.username),
      username: login.username,
      store: target.name,
      secretRef,
      ...(login.options && Object.keys(login.options).length ? { options: login.options } : {}),
      updatedAt: new Date().toISOString(),
    };
    const index = mapping.entries.findIndex((e) => e.server === server.key);
    if (index >= 0) {
      replaced = mapping.entries[index];
      mapping.entries[index] = next;
    } else {
      mapping.entries.push(next);
    }
    return next;
  });
  if (replaced && !(replaced.store === entry.store && replaced.secretRef === entry.secretRef)) {
    await (await openStore(replaced.store)).delete(replaced.secretRef);
  }
  return entry;
}
