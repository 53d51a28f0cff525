// The OS keychain through @napi-rs/keyring: Secret Service on Linux, Keychain on
// macOS, Credential Manager on Windows. On Linux the store is pinned to the Secret
// Service: the library's default silently falls back to the kernel keyring, which
// forgets everything at logout.
//
// Every wait is bounded. The addon is synchronous where it matters (even AsyncEntry's
// constructor connects to D-Bus on the main thread), so it cannot be raced with a
// timer: instead the session bus handshake, the one step libdbus does without a
// deadline, is checked first with one (LANYARD_KEYCHAIN_TIMEOUT_MS), and every later
// call to the Secret Service is bounded by the addon itself. Only an unlock prompt,
// which waits for a person, is left to wait.
import { processConfig } from '../config.js';
import { Entry } from '@napi-rs/keyring';
import { UserError } from '../errors.js';
import { quoted } from '../foreign-text.js';
import type { SecretStore } from './secret-store.js';
import { checkSessionBus } from './session-bus.js';
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

const busAddress = () => quoted(processConfig().sessionBusAddress ?? '', 200);

/** The library reports every failure as GenericFailure; the message and the time taken tell the cases apart. */
export function explainKeychainError(error: unknown, doing: string, elapsedMs: number): UserError {
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
  if (/prompt was dismissed|\blocked\b|IsLocked/i.test(message)) {
    return new UserError(
      'the keychain is locked: unlock it (log in to the desktop session, or run ' +
        '`gnome-keyring-daemon --unlock` and type its password), then retry',
    );
  }
  if (/did not receive a reply/i.test(message)) {
    // libdbus says this both when its reply timeout expired and when the connection broke (at once).
    return elapsedMs >= (SECRET_SERVICE_REPLY_S * 1000) / 2
      ? new UserError(
          `the Secret Service on the session bus ${busAddress()} did not answer within ` +
            `${SECRET_SERVICE_REPLY_S} s (${doing}); the keyring daemon may be frozen: restart it ` +
            `(e.g. gnome-keyring-daemon --replace), ${FILE_STORE_HINT}`,
        )
      : noSecretService(`the session bus ${busAddress()} dropped the connection while ${doing}`);
  }
  if (/dbus|d-bus|secret service|org\.freedesktop\.secrets|autolaunch/i.test(message)) {
    return noSecretService(message);
  }
  return new UserError(`keychain error: ${message}`);
}

let busChecked: Promise<void> | undefined;

/** Once per process, before the addon first connects: fail in bounded time, naming what was seen. */
function ensureBusAnswers(doing: string): Promise<void> {
  if (process.platform !== 'linux') return Promise.resolve();
  busChecked ??= (async () => {
    const { sessionBusAddress, keychainTimeoutMs: timeoutMs } = processConfig();
    const check = await checkSessionBus(sessionBusAddress, timeoutMs);
    if (check.state === 'silent') {
      throw new UserError(
        `the session bus ${busAddress()} did not answer within ${timeoutMs / 1000} s ` +
          `(at ${check.stage}, while ${doing}); restart the desktop session or fix DBUS_SESSION_BUS_ADDRESS, ` +
          FILE_STORE_HINT,
      );
    }
    if (check.state === 'unreachable') {
      throw noSecretService(`the session bus ${busAddress()}: ${check.seen}`);
    }
  })();
  return busChecked;
}

function entry(ref: string): Entry {
  return new Entry(SERVICE, ref, { linux: { store: 'secret-service' } });
}

async function call<T>(doing: string, action: () => T): Promise<T> {
  await ensureBusAnswers(doing);
  trace('session bus check');
  const started = Date.now();
  try {
    return action();
  } catch (error) {
    throw explainKeychainError(error, doing, Date.now() - started);
  }
}

export const keychainStore: SecretStore = {
  name: 'keychain',
  async read(ref) {
    return (await call(`reading "${ref}"`, () => entry(ref).getPassword())) ?? undefined;
  },
  async write(ref, secret) {
    await call(`saving "${ref}"`, () => entry(ref).setPassword(secret));
  },
  async delete(ref) {
    await call(`removing "${ref}"`, () => entry(ref).deleteCredential());
  },
  describe(ref) {
    return `the OS keychain (service "${SERVICE}", account "${ref}")`;
  },
};

/** True if a Secret Service answers; throws if it answers but is locked, hangs or is broken. */
export async function keychainReachable(): Promise<boolean> {
  try {
    await call('looking for a Secret Service', () => entry('lanyard-probe').getPassword());
    return true;
  } catch (error) {
    if (error instanceof NoSecretServiceError) return false;
    throw error;
  }
}
