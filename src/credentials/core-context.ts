// What the core (finding an entry, issuing its credential, storing and erasing logins) takes from
// the world outside it, passed in rather than reached for: the settings and paths, a clock, the
// secret stores, and whether a daemon runs. The program builds one per process; tests build one over
// temp dirs, an in-memory store and a clock of their own.
import type { Config } from '../config.js';
import { runningDaemonPid } from '../daemon-files.js';
import type { StoreName } from '../mapping/types.js';
import { writeErr } from '../output.js';
import { storeOpener } from '../secrets/select-store.js';
import type { SecretStore } from '../secrets/secret-store.js';

export interface CoreContext {
  readonly config: Config;
  /** Epoch ms. */
  now(): number;
  openStore(name: StoreName): Promise<SecretStore>;
  /** A daemon refreshes tokens ahead of time, so a caller may be handed one past its refresh time. */
  daemonRunning(): boolean;
  /** A note a person must see (stderr): a secret that could not be removed, the file store chosen for them. */
  err(text: string): void;
}

/** What a command runs with: the core's world, and stdout for its answers. */
export interface CommandContext extends CoreContext {
  out(text: string): void;
}

/** The protocol verbs' I/O as well: the request text on stdin (read when needed). */
export interface HelperContext extends CommandContext {
  stdinText(): string;
}

/** The real world under one configuration: the clock, the stores it names, the daemon's PID file. */
export function contextFor(config: Config): CoreContext {
  return {
    config,
    now: Date.now,
    openStore: storeOpener(config),
    daemonRunning: () => runningDaemonPid(config.paths) !== undefined,
    err: writeErr,
  };
}
