// Every setting lanyard takes from its environment, read in one place, typed, with its default.
// `loadConfig(env)` is pure, so tests build a configuration from any environment; the program uses
// `processConfig()`, read once. README's "Environment" table lists exactly the LANYARD_* names here
// (test/unit/config.test.ts keeps the two in step).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { configHome, lanyardPaths, type LanyardPaths } from './paths.js';

export type Environment = Readonly<Record<string, string | undefined>>;

export const STORE_NAMES = ['keychain', 'file', 'env'] as const;
export type StoreName = (typeof STORE_NAMES)[number];
export const isStoreName = (value: unknown): value is StoreName => STORE_NAMES.includes(value as StoreName);

/** Where docker and the containers tools (podman, buildah, skopeo) keep their auth files. */
export interface ClientConfigFiles {
  /** `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
  dockerConfig: string;
  /** containers' auth files, most significant first (docs/wire-formats.md#podman-buildah-and-skopeo). */
  containersAuth: string[];
  /** Every file podman reads, in order: its own auth files, then docker's (not when REGISTRY_AUTH_FILE is set). */
  containersSearch: string[];
  /** REGISTRY_AUTH_FILE is set: it replaces containers' whole search, docker's file included. */
  registryAuthFileSet: boolean;
}

export interface Config {
  /** The environment itself: the env store reads variables by the names the mapping gives. */
  env: Environment;
  paths: LanyardPaths;
  clientFiles: ClientConfigFiles;
  /** Where systemd looks for user units (`daemon install`). */
  systemdUserDir: string;
  /** LANYARD_STORE: the store for new secrets, when set and valid. */
  store?: StoreName;
  /** LANYARD_STORE was set to something else: a store operation must refuse it, not guess. */
  invalidStore?: string;
  /** LANYARD_IAM_ENDPOINT / LANYARD_HUB_ENDPOINT: service endpoints when a login names none. */
  iamEndpoint?: string;
  hubEndpoint?: string;
  /** LANYARD_HUB_CHECK_INTERVAL_S: how often the daemon checks Docker Hub tokens (default 6 h). */
  hubCheckIntervalMs: number;
  /** LANYARD_KEYCHAIN_TIMEOUT_MS: how long the session bus may take to answer (default 5 s). */
  keychainTimeoutMs: number;
  /** DBUS_SESSION_BUS_ADDRESS, where the Secret Service is reached. */
  sessionBusAddress?: string;
  /** LANYARD_DEBUG=1: debug lines in the log. */
  debug: boolean;
  /** LANYARD_LOG_STDERR=1: log lines also on stderr (for watching the daemon in a terminal). */
  logToStderr: boolean;
  /** LANYARD_TTY=0 turns off the terminal notice of a failed `get`. */
  terminalNotice: boolean;
  /** LANYARD_AGENT=0: `get` does not ask the daemon for static secrets, and the daemon holds none. */
  agent: boolean;
  /** LANYARD_AGENT_IDLE_S: how long the daemon keeps a static secret nobody asks for (default 15 min). */
  agentIdleMs: number;
  /** LANYARD_TRACE=1: per-phase timings of one `get` on stderr. */
  trace: boolean;
  /** Settings given a value that could not be used, with the default taken instead (for the log). */
  problems: string[];
}

export const DEFAULT_HUB_CHECK_INTERVAL_S = 6 * 3600;
export const DEFAULT_KEYCHAIN_TIMEOUT_MS = 5000;
export const DEFAULT_AGENT_IDLE_S = 15 * 60;

const nonEmpty = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);

/** A positive number from a setting, else the default with a problem noted: NaN would stop timers for good. */
function positiveNumber(env: Environment, name: string, fallback: number, problems: string[]): number {
  const text = nonEmpty(env[name]);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (Number.isFinite(value) && value > 0) return value;
  problems.push(`${name}=${JSON.stringify(text.slice(0, 40))} is not a positive number; using ${fallback}`);
  return fallback;
}

function clientFiles(env: Environment, platform: NodeJS.Platform, home: string): ClientConfigFiles {
  const dockerConfig = join(nonEmpty(env.DOCKER_CONFIG) ?? join(home, '.docker'), 'config.json');
  const authFile = nonEmpty(env.REGISTRY_AUTH_FILE);
  if (authFile) {
    return { dockerConfig, containersAuth: [authFile], containersSearch: [authFile], registryAuthFileSet: true };
  }
  const containersAuth: string[] = [];
  if (platform === 'linux') {
    const runtimeDir = nonEmpty(env.XDG_RUNTIME_DIR);
    containersAuth.push(
      runtimeDir
        ? join(runtimeDir, 'containers', 'auth.json')
        : join('/run/containers', String(process.getuid?.() ?? 0), 'auth.json'),
    );
  }
  containersAuth.push(join(configHome(env, home), 'containers', 'auth.json'));
  const containersSearch = [...containersAuth, dockerConfig];
  return { dockerConfig, containersAuth, containersSearch, registryAuthFileSet: false };
}

export function loadConfig(env: Environment, platform: NodeJS.Platform = process.platform): Config {
  const home = (platform !== 'win32' && nonEmpty(env.HOME)) || homedir();
  const problems: string[] = [];
  const store = nonEmpty(env.LANYARD_STORE);
  const iamEndpoint = nonEmpty(env.LANYARD_IAM_ENDPOINT);
  const hubEndpoint = nonEmpty(env.LANYARD_HUB_ENDPOINT);
  const sessionBusAddress = nonEmpty(env.DBUS_SESSION_BUS_ADDRESS);
  const hubCheckS = positiveNumber(env, 'LANYARD_HUB_CHECK_INTERVAL_S', DEFAULT_HUB_CHECK_INTERVAL_S, problems);
  return {
    env,
    paths: lanyardPaths(env, platform, home),
    clientFiles: clientFiles(env, platform, home),
    systemdUserDir: join(configHome(env, home), 'systemd', 'user'),
    ...(store === undefined ? {} : isStoreName(store) ? { store } : { invalidStore: store }),
    ...(iamEndpoint ? { iamEndpoint } : {}),
    ...(hubEndpoint ? { hubEndpoint } : {}),
    hubCheckIntervalMs: hubCheckS * 1000,
    keychainTimeoutMs: positiveNumber(env, 'LANYARD_KEYCHAIN_TIMEOUT_MS', DEFAULT_KEYCHAIN_TIMEOUT_MS, problems),
    ...(sessionBusAddress ? { sessionBusAddress } : {}),
    debug: env.LANYARD_DEBUG === '1',
    logToStderr: env.LANYARD_LOG_STDERR === '1',
    terminalNotice: env.LANYARD_TTY !== '0',
    agent: env.LANYARD_AGENT !== '0',
    agentIdleMs: positiveNumber(env, 'LANYARD_AGENT_IDLE_S', DEFAULT_AGENT_IDLE_S, problems) * 1000,
    trace: env.LANYARD_TRACE === '1',
    problems,
  };
}

let current: Config | undefined;

/** This process's configuration, read from its environment on first use. */
export function processConfig(): Config {
  current ??= loadConfig(process.env);
  return current;
}
