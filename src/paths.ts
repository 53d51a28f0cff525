// Where lanyard keeps things, per platform convention: XDG base directories on Linux,
// ~/Library on macOS, %APPDATA%/%LOCALAPPDATA% on Windows (the layout env-paths used, so
// existing files stay where they are). Computed from a given environment, never frozen at import.
import { join } from 'node:path';

const APP = 'lanyard';

export interface LanyardPaths {
  /** Non-secret mapping of servers to secrets. */
  mappingFile: string;
  /** The headless file store (0600). */
  secretsFile: string;
  /** Short-lived tokens and the daemon socket: a tmpfs that dies at logout where the OS has one. */
  runtimeDir: string;
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

function baseDirs(env: Env, platform: NodeJS.Platform, home: string): BaseDirs {
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

export function lanyardPaths(env: Env, platform: NodeJS.Platform, home: string): LanyardPaths {
  const base = baseDirs(env, platform, home);
  return {
    mappingFile: join(base.config, 'mapping.json'),
    secretsFile: join(base.data, 'secrets.json'),
    runtimeDir: env.XDG_RUNTIME_DIR ? join(env.XDG_RUNTIME_DIR, APP) : join(base.cache, 'run'),
    logDir: base.log,
    addonDir: join(base.data, 'addons'),
  };
}

export const lockPathFor = (file: string) => `${file}.lock`;
