// The non-secret mapping: which server (or host pattern) is answered from which
// secret, of which kind. Secrets themselves live in a SecretStore, referenced by id.

// Kinds and identity sources are the clouds' (src/clouds/registry.ts); the mapping stores their names.
import type { LoginEntry } from '../clouds/provider.js';
import type { Kind, SourceName } from '../clouds/registry.js';

export { isKind, type Kind, KINDS } from '../clouds/registry.js';

// Store names are also a setting (LANYARD_STORE), so they are defined with the configuration.
import type { StoreName } from '../config.js';

export { isStoreName, STORE_NAMES, type StoreName } from '../config.js';

/** Where a secret lives: a store and the id inside it (for `env`, the variable's name). */
export interface SecretPlacement {
  store: StoreName;
  secretRef: string;
}

/** What every entry names: the registry, what kind of login it is, and the provider's settings. */
export interface EntryBase extends LoginEntry {
  kind: Kind;
  updatedAt: string;
}

/** A login whose long-lived secret is kept in a store. */
export interface StoredEntry extends EntryBase, SecretPlacement {
  source?: undefined;
}

/** `login --source`: an identity source named by `source` (or `auto`); `auto` picks by the kind's cloud. */
export type SourceChoice = SourceName | 'auto';

/**
 * A login with nothing stored: the long-lived side comes from the environment (an instance role, a workload
 * identity, a CI job's OIDC token) at each exchange. Its username is whom the source proved at login, for people.
 */
export interface SourceEntry extends EntryBase {
  source: SourceChoice;
  store?: undefined;
  secretRef?: undefined;
}

export type MappingEntry = StoredEntry | SourceEntry;

export const isSourceEntry = (entry: MappingEntry): entry is SourceEntry => entry.source !== undefined;

/** A Kubernetes pull secret the daemon keeps filled with fresh tokens. */
export interface PullSecretTarget {
  namespace: string;
  name: string;
  registries: string[];
  apiServer: string;
  caFile?: string;
  /** Where the API token that may write the Secret is kept. */
  store: StoreName;
  secretRef: string;
  updatedAt: string;
}

export interface Mapping {
  version: 1;
  defaultStore?: StoreName;
  entries: MappingEntry[];
  pullSecrets?: PullSecretTarget[];
}
