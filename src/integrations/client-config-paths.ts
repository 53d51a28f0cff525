// Where docker and the containers tools (podman, buildah, skopeo) keep their auth
// configuration, in the order containers/image searches them
// (docs/wire-formats.md#podman-buildah-and-skopeo).
import { homedir } from 'node:os';
import { join } from 'node:path';

export function dockerConfigPath(): string {
  return join(process.env.DOCKER_CONFIG || join(homedir(), '.docker'), 'config.json');
}

/** containers' auth files, most significant first; REGISTRY_AUTH_FILE replaces the search. */
export function containersAuthPaths(): string[] {
  if (process.env.REGISTRY_AUTH_FILE) return [process.env.REGISTRY_AUTH_FILE];
  const paths: string[] = [];
  if (process.platform === 'linux') {
    paths.push(
      process.env.XDG_RUNTIME_DIR
        ? join(process.env.XDG_RUNTIME_DIR, 'containers', 'auth.json')
        : join('/run/containers', String(process.getuid?.() ?? 0), 'auth.json'),
    );
  }
  paths.push(join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'containers', 'auth.json'));
  return paths;
}

/** Every file podman reads, in order: its own auth files, then docker's config.json. */
export function containersSearchOrder(): string[] {
  return process.env.REGISTRY_AUTH_FILE ? containersAuthPaths() : [...containersAuthPaths(), dockerConfigPath()];
}
