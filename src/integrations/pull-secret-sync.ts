// Keeps a Kubernetes pull secret filled with the credentials lanyard would hand out,
// through the Kubernetes API (the client the OpenShift provider uses): create if
// missing, replace if different, leave alone if equal.
import { sha256Hex } from '../hash-and-random.js';
import type { CoreContext } from '../credentials/core-context.js';
import { readStoredSecret } from '../credentials/read-secret.js';
import { isRefusedWith } from '../errors.js';
import type { PullSecretTarget } from '../mapping/types.js';
import { kubeRequest } from '../kube-api.js';
import type { RetryPolicy } from '../retry.js';
import { buildDockerConfig, pullSecretManifest } from './pull-secret.js';

export const targetId = (target: Pick<PullSecretTarget, 'namespace' | 'name'>) => `${target.namespace}/${target.name}`;

export interface SyncResult {
  action: 'created' | 'replaced' | 'unchanged';
  /** Earliest token expiry in the secret: it must be synced again before then. */
  expiresAt?: number;
  contentHash: string;
}

interface SecretObject {
  metadata?: { resourceVersion?: string };
  data?: Record<string, string>;
}

export async function syncPullSecret(
  context: CoreContext,
  target: PullSecretTarget,
  retry: RetryPolicy,
): Promise<SyncResult> {
  const built = await buildDockerConfig(context, target.registries, retry);
  const manifest = pullSecretManifest(built.config, target.name, target.namespace) as {
    data: Record<string, string>;
    metadata: Record<string, unknown>;
  };
  const contentHash = sha256Hex(manifest.data['.dockerconfigjson']);
  const api = {
    apiServer: target.apiServer,
    caFile: target.caFile,
    token: await readStoredSecret(context, target, `the API token for pull secret ${targetId(target)}`),
  };
  const path = `/api/v1/namespaces/${encodeURIComponent(target.namespace)}/secrets`;
  let existing: SecretObject | undefined;
  try {
    existing = (await kubeRequest(api, 'GET', `${path}/${encodeURIComponent(target.name)}`)) as SecretObject;
  } catch (error) {
    if (!isRefusedWith(error, 404)) throw error; // none yet: created below
  }
  const result = { contentHash, ...(built.expiresAt !== undefined ? { expiresAt: built.expiresAt } : {}) };
  if (!existing) {
    await kubeRequest(api, 'POST', path, manifest);
    return { action: 'created', ...result };
  }
  if (existing.data?.['.dockerconfigjson'] === manifest.data['.dockerconfigjson'])
    return { action: 'unchanged', ...result };
  // resourceVersion makes the replace fail rather than overwrite a concurrent change.
  manifest.metadata.resourceVersion = existing.metadata?.resourceVersion;
  await kubeRequest(api, 'PUT', `${path}/${encodeURIComponent(target.name)}`, manifest);
  return { action: 'replaced', ...result };
}
