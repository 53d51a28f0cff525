// Which store a secret lives in. Existing entries name theirs in the mapping; a new
// secret goes where LANYARD_STORE or the mapping's defaultStore says, else to the
// keychain when a Secret Service answers, else to the file store with a notice —
// never a silent switch that would make a stored secret seem to vanish later.
import { UserError } from '../errors.js';
import type { Mapping, StoreName } from '../mapping/types.js';
import { processConfig } from '../config.js';
import type { SecretStore } from './secret-store.js';
import { writeErr } from '../output.js';

export async function openStore(name: StoreName): Promise<SecretStore> {
  switch (name) {
    case 'keychain':
      return (await import('./keychain-store.js')).keychainStore;
    case 'file':
      return (await import('./file-store.js')).fileStore;
    case 'env':
      return (await import('./env-store.js')).envStore;
  }
}

export function configuredStoreName(mapping: Mapping): StoreName | undefined {
  const { store, invalidStore } = processConfig();
  if (invalidStore !== undefined)
    throw new UserError(`LANYARD_STORE must be keychain, file or env, not ${JSON.stringify(invalidStore)}`);
  return store ?? mapping.defaultStore;
}

export async function storeForNewSecret(mapping: Mapping, requested?: StoreName): Promise<SecretStore> {
  const explicit = requested ?? configuredStoreName(mapping);
  if (explicit) return openStore(explicit);
  if (process.platform !== 'linux') return openStore('keychain');
  const { keychainReachable } = await import('./keychain-store.js');
  if (await keychainReachable()) return openStore('keychain');
  writeErr(
    'lanyard: no Secret Service is reachable; keeping this secret in the file store ' +
      `${processConfig().paths.secretsFile} (0600). Set LANYARD_STORE=file to make that explicit.\n`,
  );
  return openStore('file');
}
