// Adding and removing the pull secrets the daemon keeps up to date. The API token that
// may write them is a long-lived secret like any other: it goes to a SecretStore.
import type { CoreContext } from '../credentials/core-context.js';
import { UserError } from '../errors.js';
import { sweepUnusedSecrets } from '../credentials/owned-secrets.js';
import { discardSecret, placeSecret, type SecretChoice } from '../credentials/secret-placement.js';
import { updateMapping } from '../mapping/mapping-file.js';
import type { PullSecretTarget } from '../mapping/types.js';
import { targetId } from './pull-secret-sync.js';

export interface NewPullSecret extends SecretChoice {
  namespace: string;
  name: string;
  registries: string[];
  apiServer: string;
  caFile?: string;
  apiToken: string;
}

export async function addPullSecret(context: CoreContext, request: NewPullSecret): Promise<PullSecretTarget> {
  let replaced: PullSecretTarget | undefined;
  const target = await updateMapping(async (mapping) => {
    const placement = await placeSecret(
      context,
      mapping,
      `pull-secret:${targetId(request)}`,
      request.apiToken,
      request,
    );
    const next: PullSecretTarget = {
      namespace: request.namespace,
      name: request.name,
      registries: request.registries,
      apiServer: request.apiServer,
      ...(request.caFile ? { caFile: request.caFile } : {}),
      ...placement,
      updatedAt: new Date(context.now()).toISOString(),
    };
    mapping.pullSecrets ??= [];
    const index = mapping.pullSecrets.findIndex((t) => targetId(t) === targetId(next));
    if (index >= 0) replaced = mapping.pullSecrets.splice(index, 1, next)[0];
    else mapping.pullSecrets.push(next);
    return next;
  }, context.config.paths.mappingFile);
  await discardSecret(context, replaced, target);
  return target;
}

export async function removePullSecret(context: CoreContext, namespace: string, name: string): Promise<void> {
  const removed = await updateMapping(async (mapping) => {
    await sweepUnusedSecrets(context, mapping);
    const index = (mapping.pullSecrets ?? []).findIndex((t) => targetId(t) === targetId({ namespace, name }));
    return index < 0 ? undefined : mapping.pullSecrets!.splice(index, 1)[0];
  }, context.config.paths.mappingFile);
  if (!removed) throw new UserError(`no pull secret ${namespace}/${name} is configured`);
  await discardSecret(context, removed);
}
