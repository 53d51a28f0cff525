// The shape of the mapping file, checked entry by entry: an entry (or pull-secret
// target) that cannot be read is set aside with the reason, and kept as it is so that a
// rewrite loses nothing, while the others keep working.
import { UserError } from '../errors.js';
import { normalizeServer } from '../hosts/normalize.js';
import { emptyRecord, Field, InvalidInputError, parseJson } from '../validate.js';
import { SOURCE_NAMES } from '../clouds/registry.js';
import { KINDS, STORE_NAMES, type Mapping, type MappingEntry, type PullSecretTarget } from './types.js';

/** An entry or pull-secret target this version cannot read: ignored, reported, and kept as it is. */
export interface UnreadableItem {
  /** One line naming the file and the field. */
  problem: string;
  /** Its `server`, when that much is readable: a `get` for it is then an error, not "not found". */
  server?: string;
  /** Its `secretRef`, when it is a string: the secret may still be wanted once the entry is repaired. */
  secretRef?: string;
}

export interface MappingView {
  /** The readable entries and targets only. */
  mapping: Mapping;
  unreadable: UnreadableItem[];
}

export interface ParsedMapping extends MappingView {
  /** The unreadable items verbatim, so a write keeps them. */
  kept: { entries: unknown[]; pullSecrets: unknown[] };
}

function damaged(message: string): UserError {
  return new UserError(`${message}; the mapping file is damaged: fix it by hand, or move it aside and log in again`);
}

/** Checks an entry's shape; the object itself is kept (unknown fields too), so a rewrite loses nothing. */
const SOURCE_CHOICES = [...SOURCE_NAMES, 'auto'] as const;

function readEntry(entry: Field): MappingEntry {
  const server = entry.member('server').nonEmptyString();
  try {
    normalizeServer(server);
  } catch (error) {
    throw entry.member('server').invalid(`is not a registry name (${(error as Error).message})`);
  }
  entry.member('serverURL').string();
  entry.member('kind').oneOf(KINDS);
  entry.member('username').string();
  if (entry.member('source').absent) {
    entry.member('store').oneOf(STORE_NAMES);
    entry.member('secretRef').nonEmptyString();
  } else {
    // `login --source`: nothing stored, so no store may be named (a secret there would never be cleaned up).
    entry.member('source').oneOf(SOURCE_CHOICES);
    for (const key of ['store', 'secretRef']) {
      if (!entry.member(key).absent) throw entry.member(key).invalid('is not allowed beside source');
    }
  }
  if (!entry.member('options').absent) entry.member('options').stringRecord();
  entry.member('updatedAt').string();
  return entry.value as MappingEntry;
}

function readPullSecret(target: Field): PullSecretTarget {
  for (const key of ['namespace', 'name', 'apiServer', 'secretRef']) target.member(key).nonEmptyString();
  for (const registry of target.member('registries').items()) registry.nonEmptyString();
  target.member('caFile').optionalString();
  target.member('store').oneOf(STORE_NAMES);
  target.member('updatedAt').string();
  return target.value as PullSecretTarget;
}

function readableServer(item: unknown): string | undefined {
  const server = (item as { server?: unknown } | null)?.server; // parsed objects have no prototype to inherit from
  if (typeof server !== 'string') return undefined;
  try {
    normalizeServer(server);
    return server;
  } catch {
    return undefined;
  }
}

interface Sorted<T> {
  readable: T[];
  unreadable: UnreadableItem[];
  /** The unreadable items as they are in the file. */
  kept: unknown[];
}

/** Splits a list into the items `read` accepts and those it refuses (with why). */
function sortItems<T>(list: Field, read: (item: Field) => T): Sorted<T> {
  const sorted: Sorted<T> = { readable: [], unreadable: [], kept: [] };
  for (const item of list.items()) {
    try {
      sorted.readable.push(read(item));
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      const server = readableServer(item.value);
      const secretRef = (item.value as { secretRef?: unknown } | null)?.secretRef;
      sorted.unreadable.push({
        problem: error.message,
        ...(server ? { server } : {}),
        ...(typeof secretRef === 'string' ? { secretRef } : {}),
      });
      sorted.kept.push(item.value);
    }
  }
  return sorted;
}

/** `source` (the file's path) names the file in every problem. */
export function parseMapping(text: string, source: string): ParsedMapping {
  let document: unknown;
  try {
    document = parseJson(text);
  } catch {
    throw damaged(`${source} is not valid JSON`);
  }
  const root = Field.root(source, document);
  try {
    root.member('version').equal(1);
    if (!root.member('defaultStore').absent) root.member('defaultStore').oneOf(STORE_NAMES);
    const entries = sortItems(root.member('entries'), readEntry);
    const pullSecrets = root.member('pullSecrets');
    const targets = pullSecrets.absent ? undefined : sortItems(pullSecrets, readPullSecret);
    // Unknown top-level fields ride along, so that a write keeps them.
    const mapping = Object.assign(emptyRecord(), root.object(), { entries: entries.readable }) as unknown as Mapping;
    if (targets) mapping.pullSecrets = targets.readable;
    return {
      mapping,
      unreadable: [...entries.unreadable, ...(targets?.unreadable ?? [])],
      kept: { entries: entries.kept, pullSecrets: targets?.kept ?? [] },
    };
  } catch (error) {
    throw error instanceof InvalidInputError ? damaged(error.message) : error;
  }
}
