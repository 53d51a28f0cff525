// Reads and writes the mapping file. Reads take no lock (writes are atomic renames,
// so a reader sees the old or the new file); every read-modify-write holds the lock.
// Each entry is checked on its own: one that cannot be read is left out of every
// answer (and reported), while the others keep working.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { withLock } from '../fsutil/lock.js';
import { folderProblem, othersCanChange } from '../fsutil/owner-only.js';
import { normalizeServer } from '../hosts/normalize.js';
import { log } from '../log.js';
import { lockPathFor, paths } from '../paths.js';
import { emptyRecord, Field, InvalidInputError, parseJson } from '../validate.js';
import { KINDS, STORE_NAMES, type Mapping, type MappingEntry, type PullSecretTarget } from './types.js';

/** An entry or pull-secret target this version cannot read: ignored, reported, and kept as it is. */
export interface UnreadableItem {
  /** One line naming the file and the field. */
  problem: string;
  /** Its `server`, when that much is readable: a `get` for it is then an error, not "not found". */
  server?: string;
}

export interface MappingView {
  /** The readable entries and targets only. */
  mapping: Mapping;
  unreadable: UnreadableItem[];
}

interface Loaded extends MappingView {
  /** The unreadable items verbatim, so a write keeps them. */
  kept: { entries: unknown[]; pullSecrets: unknown[] };
}

function damaged(message: string): UserError {
  return new UserError(`${message}; the mapping file is damaged: fix it by hand, or move it aside and log in again`);
}

/** The file's text, or undefined when there is none. Refused when others could have changed it. */
function readText(): string | undefined {
  const file = paths.mappingFile;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UserError(`cannot read the mapping file ${file}: ${(error as Error).message}`);
  }
  try {
    const untrusted = othersCanChange(file, fstatSync(fd)) ?? folderProblem(file);
    if (untrusted) {
      throw new UserError(`refusing the mapping file, which decides where each secret is sent: ${untrusted.problem}; run: ${untrusted.fix}`);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Checks an entry's shape; the object itself is kept (unknown fields too), so a rewrite loses nothing. */
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
  entry.member('store').oneOf(STORE_NAMES);
  entry.member('secretRef').nonEmptyString();
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

/** Splits a list into the items `read` accepts and those it refuses (with why). */
function sortItems<T>(list: Field, read: (item: Field) => T, loaded: Loaded, kept: unknown[]): T[] {
  const readable: T[] = [];
  for (const item of list.items()) {
    try {
      readable.push(read(item));
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      const server = readableServer(item.value);
      loaded.unreadable.push({ problem: error.message, ...(server ? { server } : {}) });
      kept.push(item.value);
    }
  }
  return readable;
}

function parse(text: string): Loaded {
  let document: unknown;
  try {
    document = parseJson(text);
  } catch {
    throw damaged(`${paths.mappingFile} is not valid JSON`);
  }
  const root = Field.root(paths.mappingFile, document);
  const kept = { entries: [] as unknown[], pullSecrets: [] as unknown[] };
  const loaded: Loaded = { mapping: { version: 1, entries: [] }, unreadable: [], kept };
  try {
    root.member('version').equal(1);
    if (!root.member('defaultStore').absent) root.member('defaultStore').oneOf(STORE_NAMES);
    // Unknown top-level fields ride along, so that a write keeps them.
    const mapping = Object.assign(emptyRecord(), root.object()) as unknown as Mapping;
    mapping.entries = sortItems(root.member('entries'), readEntry, loaded, kept.entries);
    const targets = root.member('pullSecrets');
    if (!targets.absent) mapping.pullSecrets = sortItems(targets, readPullSecret, loaded, kept.pullSecrets);
    loaded.mapping = mapping;
  } catch (error) {
    throw error instanceof InvalidInputError ? damaged(error.message) : error;
  }
  return loaded;
}

function load(): Loaded {
  const text = readText();
  return text === undefined ? { mapping: { version: 1, entries: [] }, unreadable: [], kept: { entries: [], pullSecrets: [] } } : parse(text);
}

/** The readable part of the mapping and what could not be read, which is logged. */
export function readMappingView(): MappingView {
  const { mapping, unreadable } = load();
  for (const item of unreadable) log.warn(`ignoring a mapping entry: ${item.problem}`);
  return { mapping, unreadable };
}

/** The readable part of the mapping; an unreadable entry is logged and otherwise ignored. */
export function readMapping(): Mapping {
  return readMappingView().mapping;
}

/**
 * Runs `change` on the current mapping under the lock and saves what it leaves. Entries
 * that could not be read are written back verbatim (after the others): a login or logout
 * elsewhere must neither be blocked by them nor lose what the user may still repair.
 */
export async function updateMapping<T>(change: (mapping: Mapping) => Promise<T> | T): Promise<T> {
  return withLock(lockPathFor(paths.mappingFile), async () => {
    const { mapping, kept } = load();
    const before = JSON.stringify(mapping);
    const result = await change(mapping);
    if (JSON.stringify(mapping) !== before) {
      const document: Mapping = { ...mapping, entries: [...mapping.entries, ...(kept.entries as MappingEntry[])] };
      if (kept.pullSecrets.length) document.pullSecrets = [...(mapping.pullSecrets ?? []), ...(kept.pullSecrets as PullSecretTarget[])];
      writeFileAtomic(paths.mappingFile, `${JSON.stringify(document, null, 2)}\n`, 0o600);
    }
    return result;
  });
}
