// Where lanyard keeps things, per platform convention: XDG base directories on Linux,
// ~/Library on macOS, %APPDATA%/%LOCALAPPDATA% on Windows (the layout env-paths used, so
// existing files stay where they are). Computed from a given environment, never frozen at import.
import { join } from 'node:path';
import { sha256Hex } from './hash-and-random.js';
import { hasPosixModes, type Platform, readsXdgRuntimeDir, socketPathMax } from './platform.js';

const APP = 'lanyard';

export interface LanyardPaths {
  /** Non-secret mapping of servers to secrets. */
  mappingFile: string;
  /** The headless file store (0600). */
  secretsFile: string;
  /** Short-lived tokens and the daemon socket: a tmpfs that dies at logout where the OS has one. */
  runtimeDir: string;
  /** The daemon's unix socket: in the runtime dir, unless that path is too long for one (daemonSocket below). */
  daemonSocket: string;
  logDir: string;
  /** Where an embedded native addon that cannot be loaded in place is copied (Windows: keyring-addon.ts). */
  addonDir: string;
}

interface BaseDirs {
  config: string;
  data: string;
  cache: string;
  log: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** `$XDG_CONFIG_HOME`, else `~/.config`: the one spelling of this fallback (lanyard's, containers', systemd's). */
export const configHome = (env: Env, home: string) => env.XDG_CONFIG_HOME || join(home, '.config');

function baseDirs(env: Env, platform: Platform, home: string): BaseDirs {
  if (platform === 'darwin') {
    const library = join(home, 'Library');
    const under = (folder: string) => join(library, folder, APP);
    return {
      config: under('Preferences'),
      data: under('Application Support'),
      cache: under('Caches'),
      log: under('Logs'),
    };
  }
  if (platform === 'win32') {
    const appData = env.APPDATA || join(home, 'AppData', 'Roaming');
    const local = env.LOCALAPPDATA || join(home, 'AppData', 'Local');
    return {
      config: join(appData, APP, 'Config'),
      data: join(local, APP, 'Data'),
      cache: join(local, APP, 'Cache'),
      log: join(local, APP, 'Log'),
    };
  }
  return {
    config: join(configHome(env, home), APP),
    data: join(env.XDG_DATA_HOME || join(home, '.local', 'share'), APP),
    cache: join(env.XDG_CACHE_HOME || join(home, '.cache'), APP),
    log: join(env.XDG_STATE_HOME || join(home, '.local', 'state'), APP),
  };
}

/** The directory for the daemon's sockets when the runtime dir's path is too long: short, and this user's alone. */
export const shortSocketDir = (uid: number) => `/tmp/${APP}-${uid}`;

/**
 * A unix socket path longer than the platform takes (104 bytes on macOS, 108 on Linux) cannot be bound or
 * connected to; a deep HOME reaches that. Then the socket goes to `shortSocketDir`, named after the runtime dir so
 * that every configuration (another HOME, another XDG_RUNTIME_DIR) keeps its own daemon. The daemon creates that
 * directory 0700 and refuses one that is not its user's (daemon/socket-dir.ts).
 */
function daemonSocket(runtimeDir: string, platform: Platform, uid: number): string {
  const inRuntimeDir = join(runtimeDir, 'daemon.sock');
  if (Buffer.byteLength(inRuntimeDir) <= socketPathMax(platform) || !hasPosixModes(platform)) return inRuntimeDir;
  return join(shortSocketDir(uid), `${sha256Hex(runtimeDir).slice(0, 16)}.sock`);
}

/** Every path lanyard uses; `uid` names the short socket directory of a user whose runtime dir is too deep. */
export function lanyardPaths(env: Env, platform: Platform, home: string, uid: number): LanyardPaths {
  const base = baseDirs(env, platform, home);
  const xdgRuntimeDir = readsXdgRuntimeDir(platform) ? env.XDG_RUNTIME_DIR : undefined;
  const runtimeDir = xdgRuntimeDir ? join(xdgRuntimeDir, APP) : join(base.cache, 'run');
  return {
    mappingFile: join(base.config, 'mapping.json'),
    secretsFile: join(base.data, 'secrets.json'),
    runtimeDir,
    daemonSocket: daemonSocket(runtimeDir, platform, uid),
    logDir: base.log,
    addonDir: join(base.data, 'addons'),
  };
}

export const lockPathFor = (file: string) => `${file}.lock`;
