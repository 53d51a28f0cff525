// The secrets this installation wrote to a store and has not removed yet, listed beside the mapping.
// A login writes its new secret before the mapping names it and removes the replaced one after; a kill -9
// between those steps (or a store that refused the removal) leaves a secret that nothing uses. The next
// write removes the listed secrets that the mapping does not name. It runs under the mapping lock, with the
// mapping as read before that write changes it, so no login in progress can have its new secret taken.
// Only listed secrets are ever removed, never "every lanyard item the mapping does not name": one keychain
// can serve several configurations (another HOME, Windows credentials that roam between machines).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describeError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { log } from '../log.js';
import type { Mapping } from '../mapping/types.js';
import { isStoreName } from '../mapping/types.js';
import { paths } from '../paths.js';
import { openStore } from '../secrets/select-store.js';
import type { SecretPlacement } from './secret-placement.js';

const ownedFile = () => join(dirname(paths.mappingFile), 'owned-secrets.json');
const key = (placement: SecretPlacement) => `${placement.store}\0${placement.secretRef}`;

function named(mapping: Mapping): SecretPlacement[] {
  return [...mapping.entries, ...(mapping.pullSecrets ?? [])].map(({ store, secretRef }) => ({ store, secretRef }));
}

function isPlacement(value: unknown): value is SecretPlacement {
  const p = value as SecretPlacement;
  return typeof p === 'object' && p !== null && typeof p.store === 'string' && isStoreName(p.store) && typeof p.secretRef === 'string';
}

/** The list, and whether it was read from the file; without one, what the mapping names is ours for sure. */
function load(mapping: Mapping): { secrets: SecretPlacement[]; saved: boolean } {
  try {
    const parsed = JSON.parse(readFileSync(ownedFile(), 'utf8')) as { version?: unknown; secrets?: unknown };
    if (parsed.version === 1 && Array.isArray(parsed.secrets) && parsed.secrets.every(isPlacement)) {
      return { secrets: parsed.secrets, saved: true };
    }
    log.warn(`${ownedFile()} is damaged; starting it again from the mapping`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') log.warn(`cannot read ${ownedFile()}: ${describeError(error)}`);
  }
  return { secrets: named(mapping).filter((p) => p.store !== 'env'), saved: false };
}

function save(secrets: SecretPlacement[]): void {
  writeFileAtomic(ownedFile(), `${JSON.stringify({ version: 1, secrets }, null, 2)}\n`, 0o600);
}

/** Deletes a secret; on failure, the reason (absent counts as done). */
export async function deleteSecret(placement: SecretPlacement): Promise<string | undefined> {
  const store = await openStore(placement.store);
  try {
    await store.delete(placement.secretRef);
    return undefined;
  } catch (error) {
    return `could not remove an unused secret from ${store.describe(placement.secretRef)}: ${describeError(error)}`;
  }
}

/** Removes the listed secrets that `mapping` does not name; returns the list as it stands after. */
async function removeUnused(mapping: Mapping, owned: SecretPlacement[]): Promise<SecretPlacement[]> {
  const inUse = new Set(named(mapping).map(key));
  const kept: SecretPlacement[] = [];
  for (const placement of owned) {
    if (inUse.has(key(placement))) {
      kept.push(placement);
      continue;
    }
    const failure = await deleteSecret(placement);
    if (failure) {
      log.warn(`${failure}; trying again at the next write`);
      kept.push(placement);
    }
  }
  return kept;
}

/** Under the mapping lock, before the change: removes what earlier writes left unused. */
export async function sweepUnusedSecrets(mapping: Mapping): Promise<void> {
  const owned = load(mapping);
  const kept = await removeUnused(mapping, owned.secrets);
  if (!owned.saved || kept.length !== owned.secrets.length) save(kept);
}

/** Under the mapping lock, before the change: as sweepUnusedSecrets, then lists a secret about to be written. */
export async function claimNewSecret(mapping: Mapping, placement: SecretPlacement): Promise<void> {
  save([...(await removeUnused(mapping, load(mapping).secrets)), placement]);
}
