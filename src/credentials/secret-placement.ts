// Where a new long-lived secret goes, and the cleanup of the one it replaces. Every
// write uses a fresh id, so the mapping can switch atomically from old to new.
import { randomHex } from '../hash-and-random.js';
import { UserError } from '../errors.js';
import { log } from '../log.js';
import type { Mapping, SecretPlacement, StoreName } from '../mapping/types.js';
import { storeForNewSecret } from '../secrets/select-store.js';
import type { CoreContext } from './core-context.js';
import { claimNewSecret, deleteSecret } from './owned-secrets.js';

export interface SecretChoice {
  store?: StoreName;
  /** The secret stays in this environment variable; nothing is written. */
  secretEnv?: string;
}

/** Under the mapping lock, before `mapping` is changed (secrets it does not name are swept: see owned-secrets). */
export async function placeSecret(
  context: CoreContext,
  mapping: Mapping,
  idPrefix: string,
  secret: string,
  choice: SecretChoice,
): Promise<SecretPlacement> {
  if (choice.secretEnv !== undefined) return { store: 'env', secretRef: choice.secretEnv };
  const target = await storeForNewSecret(context, mapping, choice.store);
  if (target.name === 'env')
    throw new UserError(
      'the env store is read-only: map the variable that holds the secret with `login SERVER -u USER --secret-env VAR`',
    );
  const placement: SecretPlacement = { store: target.name, secretRef: `${idPrefix}/${randomHex(6)}` };
  await claimNewSecret(context, mapping, placement); // listed first: a kill -9 mid-write leaves it known
  await target.write(placement.secretRef, secret);
  return placement;
}

/**
 * Removes the replaced secret, once the mapping no longer points at it. The change the
 * user asked for has happened by then, so a failure here is a warning, not an error:
 * the secret is orphaned (unused) rather than the command reported as failed.
 */
export async function discardSecret(
  context: CoreContext,
  old: Partial<SecretPlacement> | undefined,
  current?: Partial<SecretPlacement>,
) {
  // A login with an identity source (no store) had no secret to remove.
  if (!old?.store || old.secretRef === undefined) return;
  if (current && old.store === current.store && old.secretRef === current.secretRef) return;
  const failure = await deleteSecret(context, { store: old.store, secretRef: old.secretRef });
  if (failure) {
    log.warn(failure);
    context.err(`lanyard: ${failure}\n`);
  }
}
