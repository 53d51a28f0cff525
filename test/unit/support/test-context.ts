// A context for running the core and the commands in-process, the way docker-credential-helpers tests
// HandleCommand with a memory helper: every path under a temp dir, stores in memory, a clock the test moves,
// and output captured. Nothing reads this process's environment.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../../src/config.js';
import type { HelperContext } from '../../../src/credentials/core-context.js';
import type { StoreName } from '../../../src/mapping/types.js';
import type { SecretStore } from '../../../src/secrets/secret-store.js';
import { makeTempDir, removeDir } from '../../fixtures/support.js';

/** A store that keeps its secrets in a Map the test can look into. */
export function memoryStore(
  name: StoreName,
  secrets = new Map<string, string>(),
): SecretStore & {
  secrets: Map<string, string>;
} {
  return {
    name,
    secrets,
    read: async (ref) => secrets.get(ref),
    write: async (ref, secret) => {
      secrets.set(ref, secret);
    },
    delete: async (ref) => {
      secrets.delete(ref);
    },
    describe: (ref) => `the in-memory ${name} store (id ${ref})`,
  };
}

export interface TestContext extends HelperContext {
  /** What the commands wrote, by stream. */
  written: { out: string; err: string };
  /** The keychain and file stores' contents. */
  stores: Record<'keychain' | 'file', SecretStore & { secrets: Map<string, string> }>;
  /** Moves the clock forward. */
  advance(ms: number): void;
  /** Gives the next `stdinText()`. */
  stdin: string;
  /** Removes the temp dir. */
  cleanup(): void;
}

/** Paths for a private HOME under `home`, and `env` on top (LANYARD_STORE, cloud endpoints …). */
export function configUnder(home: string, env: Record<string, string> = {}): Config {
  const config = loadConfig({
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    XDG_STATE_HOME: join(home, 'state'),
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_RUNTIME_DIR: join(home, 'run'),
    LANYARD_TTY: '0',
    ...env,
  });
  mkdirSync(join(home, 'run'), { recursive: true, mode: 0o700 });
  return config;
}

export function testContext(options: { env?: Record<string, string>; daemon?: boolean } = {}): TestContext {
  const home = makeTempDir('context');
  const config = configUnder(home, { LANYARD_STORE: 'keychain', ...options.env });
  let offsetMs = 0;
  const stores = { keychain: memoryStore('keychain'), file: memoryStore('file') };
  const env: SecretStore = {
    ...memoryStore('env'),
    read: async (ref) => config.env[ref] || undefined,
  };
  const context: TestContext = {
    config,
    now: () => Date.now() + offsetMs,
    openStore: async (name) => (name === 'env' ? env : stores[name]),
    daemonRunning: () => options.daemon ?? false,
    written: { out: '', err: '' },
    stores,
    stdin: '',
    stdinText: () => context.stdin,
    out: (text) => {
      context.written.out += text;
    },
    err: (text) => {
      context.written.err += text;
    },
    advance: (ms) => {
      offsetMs += ms;
    },
    cleanup: () => removeDir(home),
  };
  return context;
}
