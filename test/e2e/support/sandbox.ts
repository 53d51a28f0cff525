// A throwaway HOME with every XDG directory inside it, and the environment for child processes.
import { mkdtempSync, mkdirSync, readFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST_BIN } from './paths.js';

export interface Sandbox {
  root: string;
  home: string;
  configHome: string;
  dataHome: string;
  cacheHome: string;
  stateHome: string;
  runtimeDir: string;
  /** Files the contract names. */
  mappingFile: string;
  secretsFile: string;
  logFile: string;
  /** Environment for child processes (PATH has dist-bin first). Mutable: helpers add to it. */
  env: NodeJS.ProcessEnv;
  /** A fresh directory inside the sandbox (outside HOME). */
  dir(name: string): string;
  cleanup(): void;
}

export function createSandbox(label = 'e2e'): Sandbox {
  const root = mkdtempSync(join(tmpdir(), `lanyard-${label}-`));
  const home = join(root, 'home');
  const configHome = join(home, '.config');
  const dataHome = join(home, '.local', 'share');
  const cacheHome = join(home, '.cache');
  const stateHome = join(home, '.local', 'state');
  const runtimeDir = join(root, 'run');
  for (const d of [home, configHome, dataHome, cacheHome, stateHome, runtimeDir, join(root, 'tmp')])
    mkdirSync(d, { recursive: true });
  chmodSync(runtimeDir, 0o700);
  const env: NodeJS.ProcessEnv = {
    PATH: `${DIST_BIN}:${process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'}`,
    HOME: home,
    USER: process.env.USER ?? 'root',
    LANG: 'C.UTF-8',
    TMPDIR: join(root, 'tmp'),
    XDG_CONFIG_HOME: configHome,
    XDG_DATA_HOME: dataHome,
    XDG_CACHE_HOME: cacheHome,
    XDG_STATE_HOME: stateHome,
    XDG_RUNTIME_DIR: runtimeDir,
    // A `get` would otherwise start a daemon in every sandbox (docs/daemon.md): a test that wants one says so.
    LANYARD_AGENT_AUTOSTART: '0',
  };
  if (process.env.DBUS_SESSION_BUS_ADDRESS) env.DBUS_SESSION_BUS_ADDRESS = process.env.DBUS_SESSION_BUS_ADDRESS;
  return {
    root,
    home,
    configHome,
    dataHome,
    cacheHome,
    stateHome,
    runtimeDir,
    env,
    mappingFile: join(configHome, 'lanyard', 'mapping.json'),
    secretsFile: join(dataHome, 'lanyard', 'secrets.json'),
    logFile: join(stateHome, 'lanyard', 'lanyard.log'),
    dir(name: string) {
      const d = join(root, name);
      mkdirSync(d, { recursive: true });
      return d;
    },
    cleanup() {
      stopLeftDaemons(runtimeDir);
      if (process.env.LANYARD_E2E_KEEP) {
        console.error(`[e2e] keeping sandbox ${root}`);
        return;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A lanyard daemon's PID named by `file` (its PID file, or its lock: "<pid> <token>"), while it runs. */
function liveDaemon(file: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(file, 'utf8'), 10);
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('daemon') ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A daemon still running when its sandbox goes would outlive the test (one started by hand never exits by
 * itself): it is killed, and the file fails, since a test must stop what it starts.
 */
function stopLeftDaemons(runtimeDir: string): void {
  for (const name of ['daemon.pid', 'daemon.lock']) {
    const pid = liveDaemon(join(runtimeDir, 'lanyard', name));
    if (pid === undefined) continue;
    console.error(`[e2e] a lanyard daemon (PID ${pid}) was left running in ${runtimeDir}: killed it`);
    process.kill(pid, 'SIGKILL');
    process.exitCode = 1;
  }
}
