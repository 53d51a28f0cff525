// GitHub's container registries: ghcr.io (GitHub Packages' Container registry) and the Docker registry of
// GitHub Packages that came before it.
const GITHUB_REGISTRY_HOSTS = new Set(['ghcr.io', 'docker.pkg.github.com']);

/** Whether a normalised server key is one of GitHub's container registries. */
export function isGitHubRegistry(serverKey: string): boolean {
  return GITHUB_REGISTRY_HOSTS.has(serverKey);
}
