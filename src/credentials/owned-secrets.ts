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
import { isAlive } from '../fsutil/process-alive.js';
import { log } from '../log.js';
import { readMappingView } from '../mapping/mapping-file.js';
import { isSourceEntry, isStoreName, type Mapping, type SecretPlacement, type StoredEntry } from '../mapping/types.js';
import type { Config } from '../config.js';
import type { CoreContext } from './core-context.js';

interface OwnedSecrets {
  /** The process that last changed the mapping: until it exits, it may still be removing what it replaced. */
  writer?: number;
  secrets: SecretPlacement[];
}

const ownedFile = (config: Config) => join(dirname(config.paths.mappingFile), 'owned-secrets.json');
const key = (placement: SecretPlacement) => `${placement.store}\0${placement.secretRef}`;

function named(mapping: Mapping): SecretPlacement[] {
  const stored = mapping.entries.filter((entry): entry is StoredEntry => !isSourceEntry(entry));
  return [...stored, ...(mapping.pullSecrets ?? [])].map(({ store, secretRef }) => ({ store, secretRef }));
}

function isPlacement(value: unknown): value is SecretPlacement {
  const p = value as SecretPlacement;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.secretRef === 'string' &&
    typeof p.store === 'string' &&
    isStoreName(p.store)
  );
}

/** The list; without one (first run, or a damaged file), what the mapping names is ours for sure. */
function load(config: Config, mapping: Mapping): OwnedSecrets {
  try {
    const parsed = JSON.parse(readFileSync(ownedFile(config), 'utf8')) as Record<string, unknown> | null;
    if (parsed?.version === 1 && Array.isArray(parsed.secrets) && parsed.secrets.every(isPlacement)) {
      return { secrets: parsed.secrets, ...(typeof parsed.writer === 'number' ? { writer: parsed.writer } : {}) };
    }
    log.warn(`${ownedFile(config)} is damaged; starting it again from the mapping`);
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    if (!missing) log.warn(`cannot read ${ownedFile(config)}: ${describeError(error)}`);
  }
  return { secrets: named(mapping).filter((p) => p.store !== 'env') };
}

/** Saves the list with this process as the last writer (it removes what it replaces once the lock is free). */
function save(config: Config, secrets: SecretPlacement[]): void {
  const owned: OwnedSecrets & { version: 1 } = { version: 1, writer: process.pid, secrets };
  writeFileAtomic(ownedFile(config), `${JSON.stringify(owned, null, 2)}\n`, 0o600);
}

/** Deletes a secret; on failure, the reason (absent counts as done). */
export async function deleteSecret(context: CoreContext, placement: SecretPlacement): Promise<string | undefined> {
  const store = await context.openStore(placement.store);
  try {
    await store.delete(placement.secretRef);
    return undefined;
  } catch (error) {
    return `could not remove an unused secret from ${store.describe(placement.secretRef)}: ${describeError(error)}`;
  }
}

/** Refs of entries the mapping file holds but cannot read (a hand-edit gone wrong): repairable, so never swept. */
function refsOfUnreadableEntries(config: Config): Set<string> {
  return new Set(
    readMappingView(config.paths.mappingFile).unreadable.flatMap((item) => (item.secretRef ? [item.secretRef] : [])),
  );
}

/** Removes the listed secrets that `mapping` does not name; returns the list as it stands after. */
async function removeUnused(context: CoreContext, mapping: Mapping): Promise<SecretPlacement[]> {
  const owned = load(context.config, mapping);
  // Racing the last writer's own removal would only repeat it, under the lock, during bursts of logins.
  if (owned.writer !== undefined && owned.writer !== process.pid && isAlive(owned.writer)) return owned.secrets;
  const inUse = new Set(named(mapping).map(key));
  const repairable = refsOfUnreadableEntries(context.config);
  const kept: SecretPlacement[] = [];
  for (const placement of owned.secrets) {
    if (inUse.has(key(placement)) || repairable.has(placement.secretRef)) {
      kept.push(placement);
      continue;
    }
    const failure = await deleteSecret(context, placement);
    if (failure) {
      log.warn(`${failure}; trying again at the next write`);
      kept.push(placement);
    }
  }
  return kept;
}

/** Under the mapping lock, before the change: removes what earlier writes left unused. */
export async function sweepUnusedSecrets(context: CoreContext, mapping: Mapping): Promise<void> {
  save(context.config, await removeUnused(context, mapping));
}

/** Under the mapping lock, before the change: as sweepUnusedSecrets, then lists a secret about to be written. */
export async function claimNewSecret(context: CoreContext, mapping: Mapping, placement: SecretPlacement) {
  save(context.config, [...(await removeUnused(context, mapping)), placement]);
}
