// Client configuration files that route registries to lanyard:
// containers auth.json (skopeo/podman --authfile) and docker's config.json (DOCKER_CONFIG).
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export function credHelpersConfig(hosts: string[]): { credHelpers: Record<string, string> } {
  return { credHelpers: Object.fromEntries(hosts.map((h) => [h, 'lanyard'])) };
}

/** Writes an auth.json with credHelpers for `hosts`; returns its path. */
export function writeAuthFile(path: string, hosts: string[]): string {
  writeFileSync(path, `${JSON.stringify(credHelpersConfig(hosts), null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** Writes `<dir>/config.json` for DOCKER_CONFIG=dir; returns the file's path. */
export function writeDockerConfig(dir: string, hosts: string[]): string {
  mkdirSync(dir, { recursive: true });
  return writeAuthFile(join(dir, 'config.json'), hosts);
}
