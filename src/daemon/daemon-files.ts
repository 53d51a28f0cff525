// Where the daemon announces itself: a PID file and a unix socket in the runtime dir.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { processConfig } from '../config.js';

export const daemonPidFile = () => join(processConfig().paths.runtimeDir, 'daemon.pid');
export const daemonSocketPath = () => join(processConfig().paths.runtimeDir, 'daemon.sock');

/** The running daemon's PID, or undefined. Cheap enough for the hot path. */
export function runningDaemonPid(): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(daemonPidFile(), 'utf8'), 10);
    if (!(pid > 0)) return undefined;
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}
