// Where the daemon announces itself: a PID file in the runtime dir and a unix socket (`paths.ts` daemonSocket).
// Below every folder: the daemon writes these files, the core learns from them whether a daemon runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LanyardPaths } from './paths.js';

/**
 * The daemon (refresher and agent) talks over a unix socket checked by peer uid; Windows has neither, and a
 * named pipe restricted to the user is not written yet. There it is off, and says so in one line.
 */
export const DAEMON_OFF_ON_WINDOWS =
  'the lanyard daemon does not run on Windows yet: each pull exchanges the token it needs, nothing runs in between';

export const daemonPidFile = (paths: LanyardPaths) => join(paths.runtimeDir, 'daemon.pid');
export const daemonSocketPath = (paths: LanyardPaths) => paths.daemonSocket;
/** Held (fsutil/lock.ts) by the daemon for its whole life: two daemons never serve one runtime dir. */
export const daemonLockFile = (paths: LanyardPaths) => join(paths.runtimeDir, 'daemon.lock');
/** Made by the `get` that starts the daemon on demand, removed by the daemon once it serves. */
export const daemonStartClaim = (paths: LanyardPaths) => join(paths.runtimeDir, 'daemon.starting');

/** The running daemon's PID, or undefined. Cheap enough for the hot path. */
export function runningDaemonPid(paths: LanyardPaths): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(daemonPidFile(paths), 'utf8'), 10);
    if (!(pid > 0)) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
