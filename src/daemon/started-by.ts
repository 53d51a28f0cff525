// Who started this daemon, for `daemon status` and for what it does when idle: a `get` (on demand, which says so
// with a flag), a service manager (`daemon install`), or a person. The parent at start tells a service manager:
// systemd's user (or system) manager is a process named `systemd`; launchd is PID 1 on macOS.
import { readFileSync } from 'node:fs';
import { hostPlatform, serviceManager } from '../platform.js';

export type StartedBy = 'get' | 'hand' | 'systemd' | 'launchd';

export const STARTED_BY_WORDS: Record<StartedBy, string> = {
  get: 'on demand by a get',
  hand: 'by hand',
  systemd: 'by systemd',
  launchd: 'by launchd',
};

function parentName(ppid: number): string | undefined {
  try {
    return readFileSync(`/proc/${ppid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function startedBy(onDemand: boolean): StartedBy {
  if (onDemand) return 'get';
  const manager = serviceManager(hostPlatform());
  if (manager === 'launchd' && process.ppid === 1) return 'launchd';
  if (manager === 'systemd' && parentName(process.ppid) === 'systemd') return 'systemd';
  return 'hand';
}
