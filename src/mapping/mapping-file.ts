// Reads and writes the mapping file. Reads take no lock (writes are atomic renames,
// so a reader sees the old or the new file); every read-modify-write holds the lock.
// The file decides where each secret is sent, so it is used only while no one else
// can change it.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { withLock } from '../fsutil/lock.js';
import { folderProblem, othersCanChange } from '../fsutil/owner-only.js';
import { log } from '../log.js';
import { lockPathFor } from '../paths.js';
import { parseMapping, type MappingView, type ParsedMapping } from './mapping-schema.js';
import type { Mapping, MappingEntry, PullSecretTarget } from './types.js';

export type { MappingView, UnreadableItem } from './mapping-schema.js';

/** The file's text, or undefined when there is none. Refused when others could have changed it. */
function readText(file: string): string | undefined {
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
      const what = 'refusing the mapping file, which decides where each secret is sent';
      throw new UserError(`${what}: ${untrusted.problem}; run: ${untrusted.fix}`);
    }
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

function load(file: string): ParsedMapping {
  const text = readText(file);
  if (text !== undefined) return parseMapping(text, file);
  return { mapping: { version: 1, entries: [] }, unreadable: [], kept: { entries: [], pullSecrets: [] } };
}

/** The readable part of the mapping and what could not be read, which is logged. */
export function readMappingView(file: string): MappingView {
  const { mapping, unreadable } = load(file);
  for (const item of unreadable) log.warn(`ignoring a mapping entry: ${item.problem}`);
  return { mapping, unreadable };
}

/** The readable part of the mapping; an unreadable entry is logged and otherwise ignored. */
export function readMapping(file: string): Mapping {
  return readMappingView(file).mapping;
}

/**
 * Runs `change` on the current mapping under the lock and saves what it leaves. Entries
 * that could not be read are written back verbatim (after the others): a login or logout
 * elsewhere must neither be blocked by them nor lose what the user may still repair.
 */
// Each holder writes a secret to its store under this lock (the keychain can take a few hundred ms on a busy
// machine), so a burst of logins queues behind it: wait longer than for a token's lock before giving up.
const MAPPING_LOCK_WAIT_MS = 60_000;

export async function updateMapping<T>(change: (mapping: Mapping) => Promise<T> | T, file: string): Promise<T> {
  return withLock(
    lockPathFor(file),
    async () => {
      const { mapping, kept } = load(file);
      const before = JSON.stringify(mapping);
      const result = await change(mapping);
      if (JSON.stringify(mapping) !== before) {
        const document: Mapping = { ...mapping, entries: [...mapping.entries, ...(kept.entries as MappingEntry[])] };
        if (kept.pullSecrets.length) {
          document.pullSecrets = [...(mapping.pullSecrets ?? []), ...(kept.pullSecrets as PullSecretTarget[])];
        }
        writeFileAtomic(file, `${JSON.stringify(document, null, 2)}\n`, 0o600);
      }
      return result;
    },
    MAPPING_LOCK_WAIT_MS,
  );
}
