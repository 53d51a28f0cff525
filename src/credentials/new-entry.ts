// What `login` (with a stored secret or an identity source) and the `store` verb share when they put an entry in
// the mapping: the fields every entry records, and the replacement of the entry for the same server.
import type { EntryBase, Kind, Mapping, MappingEntry } from '../mapping/types.js';

/** Provider options worth recording: none rather than an empty map. */
export const givenOptions = (options?: Record<string, string>) =>
  options && Object.keys(options).length ? options : undefined;

/** The fields every entry has, besides where its long-lived side comes from. */
export function entryBase(
  serverKey: string,
  serverURL: string,
  kind: Kind,
  username: string,
  options: Record<string, string> | undefined,
  now: number,
): EntryBase {
  return {
    server: serverKey,
    serverURL: serverURL.trim(),
    kind,
    username,
    ...(options ? { options } : {}),
    updatedAt: new Date(now).toISOString(),
  };
}

/** Puts `next` at `index` (or appends it when that is -1); returns the entry it replaced. */
export function putEntry(mapping: Mapping, index: number, next: MappingEntry): MappingEntry | undefined {
  if (index < 0) {
    mapping.entries.push(next);
    return undefined;
  }
  const replaced = mapping.entries[index];
  mapping.entries[index] = next;
  return replaced;
}
