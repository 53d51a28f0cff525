// Plans and applies `configure` / `unconfigure`: credHelpers entries naming lanyard in
// docker's config.json and containers' auth.json, plus the `auths` entries that would
// shadow the helper (podman reads an earlier file's `auths` before a later file's
// credHelpers) or that keep a plaintext secret lying around.
import { DOCKER_HUB_KEY } from '../hosts/dockerhub.js';
import { normalizeServer } from '../hosts/normalize.js';
import type { ClientConfigFiles } from '../config.js';
import { IDENTITY_TOKEN_USERNAME } from '../clouds/cloud.js';
import { emptyRecord, cloneJson } from '../validate.js';
import { loadClientConfig, renderConfig } from './json-config-file.js';
import type { AuthEntry, ClientConfig, LoadedConfig } from './json-config-file.js';

export const HELPER_SUFFIX = 'lanyard';

const DOCKER_HUB_DOCKER_KEYS = [
  'https://index.docker.io/v1/',
  'docker.io',
  'https://index.docker.io/v1/access-token',
  'https://index.docker.io/v1/refresh-token',
];

export interface PlannedFile {
  loaded: LoadedConfig;
  data: ClientConfig;
  after: string;
  /** What the backup should hold when it must differ from the old content (moved secrets left out). */
  backupData?: ClientConfig;
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

/** docker and podman name registries differently (docs/wire-formats.md#docker-cli, #podman-buildah-and-skopeo). */
export function helperKeys(registry: string, client: 'docker' | 'containers'): string[] {
  if (registry === DOCKER_HUB_KEY) return client === 'docker' ? DOCKER_HUB_DOCKER_KEYS : [DOCKER_HUB_KEY];
  return [registry];
}

function decodeLogin(entry: AuthEntry | null): ShadowingLogin['login'] {
  if (!entry) return undefined; // null: an empty login, as docker reads it
  if (entry.identitytoken) return { username: IDENTITY_TOKEN_USERNAME, secret: entry.identitytoken };
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

/** Every file whose `auths` can hold a login for a registry: podman's search order, and docker's own file. */
const inspectedFiles = (files: ClientConfigFiles) => [...new Set([...files.containersSearch, files.dockerConfig])];

function plan(
  files: ClientConfigFiles,
  targets: string[],
  registries: string[],
  edit: (data: ClientConfig, path: string) => void,
  fix: boolean,
): Plan {
  const planned = new Map<string, PlannedFile>();
  for (const path of new Set([...targets, ...inspectedFiles(files)])) {
    const loaded = loadClientConfig(path);
    const data = cloneJson(loaded.data);
    if (targets.includes(path)) edit(data, path);
    planned.set(path, { loaded, data, after: '' });
  }
  const shadows = findShadows(files, planned, registries);
  if (fix) {
    for (const shadow of shadows) {
      const file = planned.get(shadow.file)!;
      delete file.data.auths![shadow.authKey];
      // The backup keeps everything else, but not the secret that was moved out.
      file.backupData ??= cloneJson(file.loaded.data);
      delete file.backupData.auths![shadow.authKey];
    }
  }
  const changed = [...planned.values()].filter((f) => !sameConfig(f.loaded.data, f.data));
  for (const file of changed) file.after = renderConfig(file.loaded, file.data);
  return { files: changed, shadows };
}

/**
 * Logins in `auths` for the registries: in podman's search order an entry met before a
 * file with lanyard in credHelpers wins over lanyard ('shadows'); any other login is a
 * secret lying in a plain file ('plaintext'). Within one file credHelpers come first.
 */
function findShadows(
  files: ClientConfigFiles,
  planned: Map<string, PlannedFile>,
  registries: string[],
): ShadowingLogin[] {
  const found: ShadowingLogin[] = [];
  const authKeysFor = (data: ClientConfig, registry: string) =>
    Object.keys(data.auths ?? {}).filter((key) => registryOfAuthKey(key) === registry);
  const podmanOrder = files.containersSearch;
  for (const registry of registries) {
    let helperSeen = false;
    for (const path of inspectedFiles(files)) {
      const data = planned.get(path)!.data;
      const client = path === files.dockerConfig ? 'docker' : 'containers';
      if (
        podmanOrder.includes(path) &&
        helperKeys(registry, client).some((key) => data.credHelpers?.[key] === HELPER_SUFFIX)
      )
        helperSeen = true;
      for (const authKey of authKeysFor(data, registry)) {
        const login = decodeLogin(data.auths![authKey]);
        const reason = helperSeen || !podmanOrder.includes(path) ? 'plaintext' : 'shadows';
        if (reason === 'shadows' || login) found.push({ file: path, authKey, registry, reason, login });
      }
    }
  }
  return found;
}

/** Shadowing and plaintext logins as the files are now (for doctor). */
export function inspectClientConfigs(files: ClientConfigFiles, registries: string[]): ShadowingLogin[] {
  return plan(files, [], registries, () => undefined, false).shadows;
}

export function containersTargets(files: ClientConfigFiles, force: boolean): string[] {
  const candidates = files.containersAuth;
  if (force || files.registryAuthFileSet) return candidates;
  return candidates.filter((path) => loadClientConfig(path).exists);
}

export function planConfigure(
  files: ClientConfigFiles,
  registries: string[],
  options: { containers: boolean; fix: boolean },
): Plan {
  const docker = files.dockerConfig;
  const targets = [docker, ...containersTargets(files, options.containers)];
  return plan(
    files,
    targets,
    registries,
    (data, path) => {
      data.credHelpers ??= emptyRecord();
      for (const registry of registries) {
        for (const key of helperKeys(registry, path === docker ? 'docker' : 'containers'))
          data.credHelpers[key] = HELPER_SUFFIX;
      }
    },
    options.fix,
  );
}

export function planUnconfigure(files: ClientConfigFiles, registries: string[] | undefined): Plan {
  const docker = files.dockerConfig;
  const targets = [docker, ...containersTargets(files, false)];
  return plan(
    files,
    targets,
    [],
    (data, path) => {
      const keys = registries?.flatMap((r) => helperKeys(r, path === docker ? 'docker' : 'containers'));
      for (const [key, helper] of Object.entries(data.credHelpers ?? {})) {
        if (helper === HELPER_SUFFIX && (!keys || keys.includes(key))) delete data.credHelpers![key];
      }
      if (data.credHelpers && Object.keys(data.credHelpers).length === 0) delete data.credHelpers;
      if (data.credsStore === HELPER_SUFFIX && !registries) delete data.credsStore;
    },
    false,
  );
}
