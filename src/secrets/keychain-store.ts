// The OS keychain through @napi-rs/keyring: Secret Service on Linux, Keychain on
// macOS, Credential Manager on Windows. On Linux the store is pinned to the Secret
// Service: the library's default silently falls back to the kernel keyring, which
// forgets everything at logout.
import { Entry } from '@napi-rs/keyring';
import { UserError } from '../errors.js';
import type { SecretStore } from './secret-store.js';

const SERVICE = 'lanyard';

/** The library reports every failure as GenericFailure; the message tells the cases apart. */
export function explainKeychainError(error: unknown): UserError {
  const message = error instanceof Error ? error.message : String(error);
  if (/prompt was dismissed|locked|IsLocked/i.test(message)) {
    return new UserError('the keychain is locked: unlock it (log in to the desktop session, or run `gnome-keyring-daemon --unlock` and type its password), then retry');
  }
  if (/dbus|d-bus|secret service|org\.freedesktop\.secrets|autolaunch/i.test(message)) {
    return new UserError(`no Secret Service is reachable (${message.split('\n')[0]}); start a keyring such as gnome-keyring, or use the file store (LANYARD_STORE=file)`);
  }
  return new UserError(`keychain error: ${message.split('\n')[0]}`);
}

function entry(ref: string): Entry {
  return new Entry(SERVICE, ref, { linux: { store: 'secret-service' } });
}

function call<T>(action: () => T): T {
  try {
    return action();
  } catch (error) {
    throw explainKeychainError(error);
  }
}

export const keychainStore: SecretStore = {
  name: 'keychain',
  async read(ref) {
    return call(() => entry(ref).getPassword()) ?? undefined;
  },
  async write(ref, secret) {
    call(() => entry(ref).setPassword(secret));
  },
  async delete(ref) {
    call(() => entry(ref).deleteCredential());
  },
  describe(ref) {
    return `the OS keychain (service "${SERVICE}", account "${ref}")`;
  },
};

/** True if a Secret Service answers; throws if it answers but is locked or broken. */
export function keychainReachable(): boolean {
  try {
    entry('lanyard-probe').getPassword();
    return true;
  } catch (error) {
    const explained = explainKeychainError(error);
    if (explained.message.startsWith('no Secret Service')) return false;
    throw explained;
  }
}
