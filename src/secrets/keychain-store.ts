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
// Every wait is bounded. The addon's calls are synchronous and libdbus waits on a bus
// without a deadline of its own, so they run on a worker thread (keyring-thread.ts) and
// each has a deadline kept on this one: the bus timeout (LANYARD_KEYCHAIN_TIMEOUT_MS)
// plus two of the addon's own 2 s replies (30 s where a person may be answering a
// prompt). Before the first call, the session bus handshake is checked with the bus
// timeout, which names a silent bus more precisely. Windows' Credential Manager, a local call with no bus, is
// called on this thread.
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
import { AddonCallError, type AddonRequest, AddonDeadlineError, callAddon } from './keyring-thread.js';
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

/**
 * Windows only: the addon on this thread (keyring-addon.ts copies it out of the exe when Bun cannot load it in
 * place). Credential Manager is a local call with no bus to hang on, so it needs no worker. A failure is not kept.
 */
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

/** How long one addon call may take: a bus as slow as the check allows, then two of the addon's own replies. */
const addonDeadlineMs = (bus: KeychainBus) => bus.keychainTimeoutMs + 2 * SECRET_SERVICE_REPLY_S * 1000;
/**
 * A read of a locked item may show an unlock prompt, and macOS's keychain may ask for access on any call: a
 * person answers. (Only a session bus can hang a call, and only Linux has one.)
 */
const PROMPT_MS = 30_000;

/**
 * The keychain reached over `bus`; it checks the bus once it has answered, and again after any failure.
 * `addonDir` is where an embedded addon that cannot be loaded in place is copied (keyring-addon.ts, Windows).
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

  async function call(
    doing: string,
    request: Omit<AddonRequest, 'id' | 'service'>,
    mayPrompt = false,
  ): Promise<string | null> {
    await ensureBusAnswers(doing);
    trace('session bus check');
    const deadlineMs = mayPrompt || !keychainIsSecretService(platformOf(bus)) ? PROMPT_MS : addonDeadlineMs(bus);
    try {
      return await callAddon({ ...request, service: SERVICE }, deadlineMs);
    } catch (error) {
      if (error instanceof AddonDeadlineError) throw secretServiceSilent(bus, deadlineMs / 1000, doing);
      const elapsedMs = error instanceof AddonCallError ? error.elapsedMs : 0;
      throw explainKeychainError(bus, error, doing, elapsedMs);
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

  /** The D-Bus reader's answer; else whether the addon, which must decide (the trace says why), may prompt. */
  async function readOverDBus(
    ref: string,
    doing: string,
  ): Promise<{ secret: string | undefined } | { mayPrompt: boolean }> {
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
        return { mayPrompt: answer.locked === true };
    }
  }

  // Credential Manager holds UTF-8 bytes, split when long (windows-credential.ts); the addon's own calls elsewhere.
  const onWindows = keychainKind(platformOf(bus)) === 'windows-credential-manager';
  return {
    name: 'keychain',
    async read(ref) {
      const doing = `reading "${ref}"`;
      const answered = keychainIsSecretService(platformOf(bus)) ? await readOverDBus(ref, doing) : undefined;
      if (answered && 'secret' in answered) return answered.secret;
      if (onWindows) return callCredentialManager(doing, (secrets) => secrets.read(ref));
      return (await call(doing, { op: 'read', account: ref }, answered?.mayPrompt ?? true)) ?? undefined;
    },
    async write(ref, secret) {
      const doing = `saving "${ref}"`;
      if (onWindows) return callCredentialManager(doing, (secrets) => secrets.write(ref, secret));
      await call(doing, { op: 'write', account: ref, secret });
    },
    async delete(ref) {
      const doing = `removing "${ref}"`;
      if (onWindows) return callCredentialManager(doing, (secrets) => secrets.delete(ref));
      await call(doing, { op: 'delete', account: ref });
    },
    describe(ref) {
      return `the OS keychain (service "${SERVICE}", account "${ref}")`;
    },
    // A Secret Service answers; throws if it answers but is locked, hangs or is broken.
    async reachable() {
      const probe = 'lanyard-probe';
      try {
        if (onWindows) await callCredentialManager('looking in Credential Manager', (secrets) => secrets.read(probe));
        else await call('looking for a Secret Service', { op: 'read', account: probe });
        return true;
      } catch (error) {
        if (error instanceof NoSecretServiceError) return false;
        throw error;
      }
    },
  };
}
