// The OS keychain through @napi-rs/keyring: Secret Service on Linux, Keychain on
// macOS, Credential Manager on Windows. On Linux the store is pinned to the Secret
// Service: the library's default silently falls back to the kernel keyring, which
// forgets everything at logout.
//
// On Linux a read is first tried by our own D-Bus client (secret-service-reader.ts): a
// plain read then never loads the addon, which costs more than the read. Every case it
// does not settle (locked, ambiguous, no Secret Service…) takes the addon's path below,
// which says what is wrong; writes and deletes always take it.
//
// Every wait is bounded. The addon is synchronous where it matters (even AsyncEntry's
// constructor connects to D-Bus on the main thread), so it cannot be raced with a
// timer: instead the session bus handshake, the one step libdbus does without a
// deadline, is checked first with one (LANYARD_KEYCHAIN_TIMEOUT_MS), and every later
// call to the Secret Service is bounded by the addon itself. Only an unlock prompt,
// which waits for a person, is left to wait.
import type { Entry } from '@napi-rs/keyring';
import type { Config } from '../config.js';
import { UserError } from '../errors.js';
import { foreignText, quoted } from '../foreign-text.js';
import { hostPlatform, keychainIsSecretService, keychainKind, type Platform } from '../platform.js';
import { explainMacKeychainError } from './macos-keychain-errors.js';
import { loadKeyringAddon, type KeyringAddon } from './keyring-addon.js';
import type { SecretStore } from './secret-store.js';
import { readSecretFromSecretService, SECRET_SERVICE_STAGE } from './secret-service-reader.js';
import { checkSessionBus } from './session-bus.js';
import { credentialManagerSecrets, entryBlobs, type CredentialManagerSecrets } from './windows-credential.js';
import { trace } from '../trace.js';

const SERVICE = 'lanyard';
/** dbus-secret-service's reply timeout for each call to the Secret Service. */
const SECRET_SERVICE_REPLY_S = 2;

/** No Secret Service is there to ask; the only keychain failure that store selection may fall back from. */
export class NoSecretServiceError extends UserError {}

const FILE_STORE_HINT = 'or use the file store (LANYARD_STORE=file)';

const noSecretService = (seen: string) =>
  new NoSecretServiceError(
    `no Secret Service is reachable (${seen}); start a keyring such as gnome-keyring, ${FILE_STORE_HINT}`,
  );

/** Where the Secret Service is reached, and how long the bus may take to answer; on which OS (default this one). */
export type KeychainBus = Pick<Config, 'sessionBusAddress' | 'keychainTimeoutMs'> & { platform?: Platform };

const platformOf = (bus: KeychainBus) => bus.platform ?? hostPlatform();

const busAddress = (bus: KeychainBus) => quoted(bus.sessionBusAddress ?? '', 200);

const secretServiceSilent = (bus: KeychainBus, seconds: number, doing: string) =>
  new UserError(
    `the Secret Service on the session bus ${busAddress(bus)} did not answer within ${seconds} s (${doing}); ` +
      `the keyring daemon may be frozen: restart it (e.g. gnome-keyring-daemon --replace), ${FILE_STORE_HINT}`,
  );

const busSilent = (bus: KeychainBus, stage: string, doing: string) =>
  new UserError(
    `the session bus ${busAddress(bus)} did not answer within ${bus.keychainTimeoutMs / 1000} s ` +
      `(at ${stage}, while ${doing}); ` +
      `restart the desktop session or fix DBUS_SESSION_BUS_ADDRESS, ${FILE_STORE_HINT}`,
  );

/** The library reports every failure as GenericFailure; the message and the time taken tell the cases apart. */
export function explainKeychainError(bus: KeychainBus, error: unknown, doing: string, elapsedMs: number): UserError {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  if (keychainKind(platformOf(bus)) === 'macos-keychain') {
    return (
      explainMacKeychainError(message, doing) ?? new UserError(`keychain error (${doing}): ${foreignText(message)}`)
    );
  }
  if (/prompt was dismissed|\blocked\b|IsLocked/i.test(message)) {
    return new UserError(
      'the keychain is locked: unlock it (log in to the desktop session, or run ' +
        '`gnome-keyring-daemon --unlock` and type its password), then retry',
    );
  }
  if (/did not receive a reply/i.test(message)) {
    // libdbus says this both when its reply timeout expired and when the connection broke (at once).
    return elapsedMs >= (SECRET_SERVICE_REPLY_S * 1000) / 2
      ? secretServiceSilent(bus, SECRET_SERVICE_REPLY_S, doing)
      : noSecretService(`the session bus ${busAddress(bus)} dropped the connection while ${doing}`);
  }
  if (/dbus|d-bus|secret service|org\.freedesktop\.secrets|autolaunch/i.test(message)) {
    return noSecretService(message);
  }
  return new UserError(`keychain error: ${message}`);
}

let addon: Promise<KeyringAddon> | undefined;

/** Loaded only when needed: a read that the D-Bus reader answers never pays for it. A failure is not kept. */
function loadAddon(privateDir: string | undefined): Promise<KeyringAddon> {
  addon ??= loadKeyringAddon(privateDir).then(
    (loaded) => {
      trace('keychain addon loaded');
      return loaded;
    },
    (error: unknown) => {
      addon = undefined;
      throw error;
    },
  );
  return addon;
}

/**
 * The keychain reached over `bus`; it checks the bus once it has answered, and again after any failure.
 * `addonDir` is where an embedded addon that cannot be loaded in place is copied (keyring-addon.ts).
 */
export function keychainStore(bus: KeychainBus, addonDir?: string): SecretStore {
  let busChecked: Promise<void> | undefined;

  /**
   * Before the addon first connects: fail in bounded time, naming what was seen. A bus that answered is trusted
   * for the rest of the store's life; a failure is not remembered, so a daemon asks again once the keyring is back.
   */
  function ensureBusAnswers(doing: string): Promise<void> {
    if (!keychainIsSecretService(platformOf(bus))) return Promise.resolve();
    busChecked ??= (async () => {
      const check = await checkSessionBus(bus.sessionBusAddress, bus.keychainTimeoutMs);
      if (check.state === 'silent') throw busSilent(bus, check.stage, doing);
      if (check.state === 'unreachable') {
        throw noSecretService(`the session bus ${busAddress(bus)}: ${check.seen}`);
      }
    })().catch((error: unknown) => {
      busChecked = undefined;
      throw error;
    });
    return busChecked;
  }

  async function call<T>(doing: string, ref: string, action: (entry: Entry) => T): Promise<T> {
    await ensureBusAnswers(doing);
    trace('session bus check');
    const { Entry } = await loadAddon(addonDir);
    const started = Date.now();
    try {
      return action(new Entry(SERVICE, ref, { linux: { store: 'secret-service' } }));
    } catch (error) {
      throw explainKeychainError(bus, error, doing, Date.now() - started);
    }
  }

  /** Windows: Credential Manager in lanyard's layout (windows-credential.ts); its own errors pass as they are. */
  async function callCredentialManager<T>(doing: string, action: (secrets: CredentialManagerSecrets) => T) {
    const { Entry } = await loadAddon(addonDir);
    try {
      return action(credentialManagerSecrets(entryBlobs(Entry, SERVICE)));
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw explainKeychainError(bus, error, doing, 0); // no D-Bus here: its reply timing does not apply
    }
  }

  /** The D-Bus reader's answer; undefined when the addon must decide (then the trace says why). */
  async function readOverDBus(ref: string, doing: string): Promise<{ secret: string | undefined } | undefined> {
    const { sessionBusAddress: address, keychainTimeoutMs: timeoutMs } = bus;
    const answer = await readSecretFromSecretService(ref, { address, timeoutMs });
    switch (answer.state) {
      case 'found':
        trace('store read (keychain, D-Bus)');
        return { secret: answer.secret };
      case 'absent':
        trace('store read (keychain, D-Bus): absent');
        return { secret: undefined };
      case 'silent':
        throw answer.stage === SECRET_SERVICE_STAGE
          ? secretServiceSilent(bus, timeoutMs / 1000, doing)
          : busSilent(bus, answer.stage, doing);
      case 'ask-addon':
        trace(`D-Bus reader leaves this read to the addon: ${answer.reason}`);
        return undefined;
    }
  }

  // Credential Manager holds UTF-8 bytes, split when long (windows-credential.ts); the addon's own calls elsewhere.
  const onWindows = keychainKind(platformOf(bus)) === 'windows-credential-manager';
  return {
    name: 'keychain',
    async read(ref) {
      const doing = `reading "${ref}"`;
      const answered = keychainIsSecretService(platformOf(bus)) ? await readOverDBus(ref, doing) : undefined;
      if (answered) return answered.secret;
      if (onWindows) return callCredentialManager(doing, (secrets) => secrets.read(ref));
      return (await call(doing, ref, (e) => e.getPassword())) ?? undefined;
    },
    async write(ref, secret) {
      const doing = `saving "${ref}"`;
      if (onWindows) return callCredentialManager(doing, (secrets) => secrets.write(ref, secret));
      await call(doing, ref, (e) => e.setPassword(secret));
    },
    async delete(ref) {
      const doing = `removing "${ref}"`;
      if (onWindows) return callCredentialManager(doing, (secrets) => secrets.delete(ref));
      await call(doing, ref, (e) => e.deleteCredential());
    },
    describe(ref) {
      return `the OS keychain (service "${SERVICE}", account "${ref}")`;
    },
    // A Secret Service answers; throws if it answers but is locked, hangs or is broken.
    async reachable() {
      try {
        await call('looking for a Secret Service', 'lanyard-probe', (e) => e.getPassword());
        return true;
      } catch (error) {
        if (error instanceof NoSecretServiceError) return false;
        throw error;
      }
    },
  };
}
