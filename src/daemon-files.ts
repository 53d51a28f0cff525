// Where the daemon announces itself: a PID file in the runtime dir and a unix socket (`paths.ts` daemonSocket).
// Below every folder: the daemon writes these files, the core learns from them whether a daemon runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LanyardPaths } from './paths.js';

export const daemonPidFile = (paths: LanyardPaths) => join(paths.runtimeDir, 'daemon.pid');
export const daemonSocketPath = (paths: LanyardPaths) => paths.daemonSocket;

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
