// Docker Hub goes by several names depending on the client (docs/wire-formats.md#docker-hub):
// docker uses `https://index.docker.io/v1/`, podman `docker.io`, nerdctl
// `index.docker.io`, others `registry-1.docker.io`. They are one registry and one entry.

export const DOCKER_HUB_KEY = 'docker.io';

const HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

// docker's OAuth login stores two extra items next to the PAT (docs/wire-formats.md#docker-cli); they
// must round-trip verbatim, as separate entries.
const HUB_OAUTH_PATHS = new Map([
  ['/v1/access-token', 'https://index.docker.io/v1/access-token'],
  ['/v1/refresh-token', 'https://index.docker.io/v1/refresh-token'],
]);

export function isDockerHubHost(host: string): boolean {
  return HUB_HOSTS.has(host);
}

/** The verbatim key for docker's OAuth items, or undefined for any other Hub path. */
export function dockerHubOAuthKey(path: string): string | undefined {
  return HUB_OAUTH_PATHS.get(path.replace(/\/+$/, ''));
}
