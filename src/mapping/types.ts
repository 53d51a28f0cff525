// The non-secret mapping: which server (or host pattern) is answered from which
// secret, of which kind. Secrets themselves live in a SecretStore, referenced by id.

export const KINDS = [
  'ibm-iam',
  'iam-refresh',
  'dockerhub',
  'openshift',
  'oauth2',
  'identity-token',
  'static',
  'aws-ecr',
  'azure-acr',
  'gcp',
] as const;
export type Kind = (typeof KINDS)[number];

// Store names are also a setting (LANYARD_STORE), so they are defined with the configuration.
import type { StoreName } from '../config.js';

export { isStoreName, STORE_NAMES, type StoreName } from '../config.js';

/** Where a secret lives: a store and the id inside it (for `env`, the variable's name). */
export interface SecretPlacement {
  store: StoreName;
  secretRef: string;
}

export interface MappingEntry {
  /** Normalised lookup key: `host[:port]`, a pattern such as `*.icr.io`, or a verbatim Hub OAuth key. */
  server: string;
  /** The server URL as the client first gave it; `list` answers with this. */
  serverURL: string;
  kind: Kind;
  username: string;
  store: StoreName;
  /** The secret's id inside its store (for `env`, the variable's name). */
  secretRef: string;
  /** Provider settings (endpoints, API server, CA bundle), never secrets. */
  options?: Record<string, string>;
  updatedAt: string;
}

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

export function isKind(value: string): value is Kind {
  return (KINDS as readonly string[]).includes(value);
}
