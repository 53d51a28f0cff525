// Which store a secret lives in. Existing entries name theirs in the mapping; a new
// secret goes where LANYARD_STORE or the mapping's defaultStore says, else to the
// keychain when a Secret Service answers, else to the file store with a notice —
// never a silent switch that would make a stored secret seem to vanish later.
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import type { Mapping, StoreName } from '../mapping/types.js';
import { keychainIsSecretService } from '../platform.js';
import type { SecretStore } from './secret-store.js';

/** The stores of one configuration, each opened (and its module loaded) on first use, then kept. */
export function storeOpener(config: Config): (name: StoreName) => Promise<SecretStore> {
  const opened = new Map<StoreName, Promise<SecretStore>>();
  const open = async (name: StoreName): Promise<SecretStore> => {
    switch (name) {
      case 'keychain':
        return (await import('./keychain-store.js')).keychainStore(config, config.paths.addonDir);
      case 'file':
        return (await import('./file-store.js')).fileStore(config.paths.secretsFile);
      case 'env':
        return (await import('./env-store.js')).envStore(config.env);
    }
  };
  return (name) => {
    const store = opened.get(name) ?? open(name);
    opened.set(name, store);
    return store;
  };
}

export function configuredStoreName(config: Config, mapping: Mapping): StoreName | undefined {
  const { store, invalidStore } = config;
  if (invalidStore !== undefined)
    throw new UserError(`LANYARD_STORE must be keychain, file or env, not ${JSON.stringify(invalidStore)}`);
  return store ?? mapping.defaultStore;
}

/** What choosing a store takes from the caller's context: its configuration, store opener and stderr. */
export interface StoreChoiceContext {
  config: Config;
  openStore(name: StoreName): Promise<SecretStore>;
  err(text: string): void;
}

/** Where a new secret goes. */
export async function storeForNewSecret(
  { config, openStore, err }: StoreChoiceContext,
  mapping: Mapping,
  requested?: StoreName,
): Promise<SecretStore> {
  const explicit = requested ?? configuredStoreName(config, mapping);
  if (explicit) return openStore(explicit);
  if (!keychainIsSecretService(config.platform)) return openStore('keychain');
  const keychain = await openStore('keychain');
  if ((await keychain.reachable?.()) ?? true) return keychain;
  err(
    'lanyard: no Secret Service is reachable; keeping this secret in the file store ' +
      `${config.paths.secretsFile} (0600). Set LANYARD_STORE=file to make that explicit.\n`,
  );
  return openStore('file');
}
