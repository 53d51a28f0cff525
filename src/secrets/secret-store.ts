// One interface for every place a long-lived secret can live. Policy (which store a
// new secret goes to) is decided in select-store.ts, never inside a store.
import type { StoreName } from '../mapping/types.js';

export interface SecretStore {
  readonly name: StoreName;
  /** The secret, or undefined if the store has none under `ref`. Throws on a real failure (locked, unreachable). */
  read(ref: string): Promise<string | undefined>;
  write(ref: string, secret: string): Promise<void>;
  /** Removes the secret; absent is fine. */
  delete(ref: string): Promise<void>;
  /** How a person restores a secret that this store lost, for error messages. */
  describe(ref: string): string;
  /** Whether the service behind the store answers at all (the keychain); throws if it answers but is broken. */
  reachable?(): Promise<boolean>;
}
