// Reads and writes the mapping file. Reads take no lock (writes are atomic renames,
// so a reader sees the old or the new file); every read-modify-write holds the lock.
import { readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { withLock } from '../fsutil/lock.js';
import { lockPathFor, paths } from '../paths.js';
import { isKind, isStoreName, type Mapping } from './types.js';

function corrupt(reason: string): UserError {
  return new UserError(`the mapping file ${paths.mappingFile} is damaged (${reason}); nothing was changed — fix it or move it aside and log in again`);
}

function validate(parsed: unknown): Mapping {
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as Mapping).entries)) throw corrupt('no "entries" list');
  const mapping = parsed as Mapping;
  if (mapping.version !== 1) throw corrupt(`unsupported version ${JSON.stringify(mapping.version)}`);
  if (mapping.defaultStore !== undefined && !isStoreName(mapping.defaultStore)) throw corrupt(`unknown defaultStore ${JSON.stringify(mapping.defaultStore)}`);
  for (const entry of mapping.entries) {
    const ok = entry && typeof entry.server === 'string' && typeof entry.username === 'string' && typeof entry.secretRef === 'string'
      && typeof entry.kind === 'string' && isKind(entry.kind) && typeof entry.store === 'string' && isStoreName(entry.store);
    if (!ok) throw corrupt(`invalid entry ${JSON.stringify(entry?.server ?? entry)}`);
  }
  for (const target of mapping.pullSecrets ?? []) {
    const ok = target && typeof target.namespace === 'string' && typeof target.name === 'string' && Array.isArray(target.registries)
      && typeof target.apiServer === 'string' && typeof target.secretRef === 'string' && isStoreName(target.store);
    if (!ok) throw corrupt(`invalid pull secret ${JSON.stringify(target?.name ?? target)}`);
  }
  return mapping;
}

export function readMapping(): Mapping {
  let text: string;
  try {
    text = readFileSync(paths.mappingFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, entries: [] };
    throw new UserError(`cannot read the mapping file ${paths.mappingFile}: ${(error as Error).message}`);
  }
  try {
    return validate(JSON.parse(text));
  } catch (error) {
    throw error instanceof UserError ? error : corrupt('not valid JSON');
  }
}

/** Runs `change` on the current mapping under the lock and saves what it leaves. */
export async function updateMapping<T>(change: (mapping: Mapping) => Promise<T> | T): Promise<T> {
  return withLock(lockPathFor(paths.mappingFile), async () => {
    const mapping = readMapping();
    const before = JSON.stringify(mapping, null, 2);
    const result = await change(mapping);
    const after = JSON.stringify(mapping, null, 2);
    if (after !== before) writeFileAtomic(paths.mappingFile, `${after}\n`, 0o600);
    return result;
  });
}
