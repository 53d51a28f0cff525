// What the core (finding an entry, issuing its credential, storing and erasing logins) takes from
// the world outside it, passed in rather than reached for: the settings and paths, a clock, the
// secret stores, and whether a daemon runs. The program builds one per process; tests build one over
// temp dirs, an in-memory store and a clock of their own.
import { processConfig, type Config } from '../config.js';
import { runningDaemonPid } from '../daemon-files.js';
import type { StoreName } from '../mapping/types.js';
import { openStore } from '../secrets/select-store.js';
import type { SecretStore } from '../secrets/secret-store.js';

export interface CoreContext {
  readonly config: Config;
  /** Epoch ms. */
  now(): number;
  openStore(name: StoreName): Promise<SecretStore>;
  /** A daemon refreshes tokens ahead of time, so a caller may be handed one past its refresh time. */
  daemonRunning(): boolean;
}

/** The protocol verbs' I/O as well: the request text on stdin (read when needed) and where answers go. */
export interface HelperContext extends CoreContext {
  stdinText(): string;
  write(text: string): void;
}

let current: CoreContext | undefined;

/** This process's context: its configuration, the real stores, the daemon's PID file. */
export function processContext(): CoreContext {
  current ??= {
    config: processConfig(),
    now: Date.now,
    openStore,
    daemonRunning: () => runningDaemonPid(processConfig().paths) !== undefined,
  };
  return current;
}
