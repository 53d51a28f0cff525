// Kubernetes pull secrets (`kubernetes.io/dockerconfigjson`) holding the credentials
// lanyard would hand a client right now: short-lived tokens where the registry takes
// them. Used by `export` and by the daemon's pull-secret sync.
import { CredentialsNotFoundError, UserError } from '../errors.js';
import type { MappingEntry } from '../mapping/types.js';
import type { CoreContext } from '../credentials/core-context.js';
import { credentialFor } from '../credentials/issue-credential.js';
import { findEntry } from '../credentials/resolve-credential.js';
import { DOCKER_HUB_KEY } from '../hosts/dockerhub.js';
import { KIND_TRAITS } from '../clouds/registry.js';
import { INLINE_RETRY, type RetryPolicy } from '../retry.js';
import { emptyRecord } from '../validate.js';
import { passwordLogin } from './password-login.js';

export interface DockerConfigJson {
  auths: Record<string, { username: string; password: string; auth: string }>;
}

export interface BuiltConfig {
  config: DockerConfigJson;
  /** Registries answered with a long-lived secret (worth a warning when exported). */
  longLived: string[];
  /** Registries left out (identity tokens cannot go into a pull secret). */
  skipped: string[];
  /** Earliest expiry among the included tokens (epoch ms). */
  expiresAt?: number;
}

/** Like findEntry, but a missing login is an error naming the registry, not the helper protocol's not-found text. */
export function entryFor(context: CoreContext, registry: string): MappingEntry {
  try {
    return findEntry(context, registry);
  } catch (error) {
    if (error instanceof CredentialsNotFoundError)
      throw new UserError(`lanyard has no login for ${registry} (see docker-credential-lanyard ls)`);
    throw error;
  }
}

export async function buildDockerConfig(
  context: CoreContext,
  registries: string[],
  retry: RetryPolicy = INLINE_RETRY,
): Promise<BuiltConfig> {
  // auths is keyed by registry names: user text, so no prototype.
  const built: BuiltConfig = { config: { auths: emptyRecord() }, longLived: [], skipped: [] };
  const acceptDueTokens = context.daemonRunning();
  for (const registry of registries) {
    const entry = entryFor(context, registry);
    // A pattern with a token per registry (ECR across regions) exchanges for this registry.
    const issued = await credentialFor(context, entry, { retry, acceptDueTokens, registry });
    const answer = await passwordLogin(context, entry, issued);
    if (!answer) {
      built.skipped.push(registry);
      continue;
    }
    if (!KIND_TRAITS[entry.kind].exchanges || answer.expiresAt === undefined) built.longLived.push(registry);
    if (answer.expiresAt !== undefined) built.expiresAt = Math.min(built.expiresAt ?? Infinity, answer.expiresAt);
    // kubelet and docker know Docker Hub by its legacy key.
    const key = registry === DOCKER_HUB_KEY ? 'https://index.docker.io/v1/' : registry;
    built.config.auths[key] = {
      username: answer.username,
      password: answer.secret,
      auth: Buffer.from(`${answer.username}:${answer.secret}`).toString('base64'),
    };
  }
  return built;
}

export function pullSecretManifest(config: DockerConfigJson, name: string, namespace: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/managed-by': 'lanyard' } },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify(config)).toString('base64') },
  };
}
