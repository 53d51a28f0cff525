// Plans and applies `configure` / `unconfigure`: credHelpers entries naming lanyard in
// docker's config.json and containers' auth.json, plus the `auths` entries that would
// shadow the helper (podman reads an earlier file's `auths` before a later file's
// credHelpers) or that keep a plaintext secret lying around.
import { DOCKER_HUB_KEY } from '../hosts/dockerhub.js';
import { normalizeServer } from '../hosts/normalize.js';
import { containersAuthPaths, containersSearchOrder, dockerConfigPath } from './client-config-paths.js';
import { loadClientConfig, renderConfig, type ClientConfig, type LoadedConfig } from './json-config-file.js';

export const HELPER_SUFFIX = 'lanyard';

const DOCKER_HUB_DOCKER_KEYS = ['https://index.docker.io/v1/', 'docker.io', 'https://index.docker.io/v1/access-token', 'https://index.docker.io/v1/refresh-token'];

export interface PlannedFile {
  loaded: LoadedConfig;
  data: ClientConfig;
  after: string;
}

export interface ShadowingLogin {
  file: string;
  authKey: string;
  registry: string;
  /** `shadows`: podman would use it instead of lanyard; `plaintext`: unused, but a secret in a plain file. */
  reason: 'shadows' | 'plaintext';
  /** Decoded login to import, when the entry holds one. */
  login?: { username: string; secret: string };
}

/** docker and podman name registries differently (reference §1.5, §2). */
export function helperKeys(registry: string, client: 'docker' | 'containers'): string[] {
  if (registry === DOCKER_HUB_KEY) return client === 'docker' ? DOCKER_HUB_DOCKER_KEYS : [DOCKER_HUB_KEY];
  return [registry];
}

function decodeLogin(entry: NonNullable<ClientConfig['auths']>[string]): ShadowingLogin['login'] {
  if (entry.identitytoken) return { username: '<token>', secret: entry.identitytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password) return { username: entry.username, secret: entry.password };
  return undefined;
}

function registryOfAuthKey(authKey: string): string | undefined {
  try {
    return normalizeServer(authKey).key;
  } catch {
    return undefined;
  }
}

function sameConfig(a: ClientConfig, b: ClientConfig): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export interface Plan {
  files: PlannedFile[];
  shadows: ShadowingLogin[];
}

function plan(targets: string[], registries: string[], edit: (data: ClientConfig, path: string) => void, fix: boolean): Plan {
  const planned = new Map<string, PlannedFile>();
  for (const path of new Set([...targets, ...containersSearchOrder()])) {
    const loaded = loadClientConfig(path);
    const data = structuredClone(loaded.data);
    if (targets.includes(path)) edit(data, path);
    planned.set(path, { loaded, data, after: '' });
  }
  const shadows = findShadows(planned, registries);
  if (fix) {
    for (const shadow of shadows) delete planned.get(shadow.file)!.data.auths![shadow.authKey];
  }
  const files = [...planned.values()].filter((f) => !sameConfig(f.loaded.data, f.data));
  for (const file of files) file.after = renderConfig(file.loaded, file.data);
  return { files, shadows };
}

/** In podman's search order, an `auths` entry met before a credHelpers entry for lanyard wins; in docker's file, any secret in `auths` is plaintext. */
function findShadows(planned: Map<string, PlannedFile>, registries: string[]): ShadowingLogin[] {
  const found = new Map<string, ShadowingLogin>();
  const note = (file: string, authKey: string, registry: string, data: ClientConfig, reason: ShadowingLogin['reason']) => {
    const id = `${file}\0${authKey}`;
    if (!found.has(id)) found.set(id, { file, authKey, registry, reason, login: decodeLogin(data.auths![authKey]) });
  };
  const authKeysFor = (data: ClientConfig, registry: string) => Object.keys(data.auths ?? {}).filter((key) => registryOfAuthKey(key) === registry);
  for (const registry of registries) {
    for (const path of containersSearchOrder()) {
      const data = planned.get(path)!.data;
      // Within one file, credHelpers are consulted before auths.
      if (helperKeys(registry, 'containers').some((key) => data.credHelpers?.[key] === HELPER_SUFFIX)) break;
      for (const key of authKeysFor(data, registry)) note(path, key, registry, data, 'shadows');
    }
    const docker = planned.get(dockerConfigPath())!.data;
    for (const key of authKeysFor(docker, registry)) {
      if (decodeLogin(docker.auths![key])) note(dockerConfigPath(), key, registry, docker, 'plaintext');
    }
  }
  return [...found.values()];
}

export function containersTargets(force: boolean): string[] {
  const candidates = containersAuthPaths();
  if (force || process.env.REGISTRY_AUTH_FILE) return candidates;
  return candidates.filter((path) => loadClientConfig(path).exists);
}

export function planConfigure(registries: string[], options: { containers: boolean; fix: boolean }): Plan {
  const docker = dockerConfigPath();
  const targets = [docker, ...containersTargets(options.containers)];
  return plan(targets, registries, (data, path) => {
    data.credHelpers ??= {};
    for (const registry of registries) {
      for (const key of helperKeys(registry, path === docker ? 'docker' : 'containers')) data.credHelpers[key] = HELPER_SUFFIX;
    }
  }, options.fix);
}

export function planUnconfigure(registries: string[] | undefined): Plan {
  const docker = dockerConfigPath();
  const targets = [docker, ...containersTargets(false)];
  return plan(targets, [], (data, path) => {
    const keys = registries?.flatMap((r) => helperKeys(r, path === docker ? 'docker' : 'containers'));
    for (const [key, helper] of Object.entries(data.credHelpers ?? {})) {
      if (helper === HELPER_SUFFIX && (!keys || keys.includes(key))) delete data.credHelpers![key];
    }
    if (data.credHelpers && Object.keys(data.credHelpers).length === 0) delete data.credHelpers;
    if (data.credsStore === HELPER_SUFFIX && !registries) delete data.credsStore;
  }, false);
}
