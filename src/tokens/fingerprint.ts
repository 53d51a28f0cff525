// Which long-lived secret a cached token belongs to, computed without reading the keychain (the hot path must
// not): every login writes its secret under a fresh random id, so the id, with the entry's settings, changes
// whenever the secret does. Environment secrets keep their variable name, so their value is hashed in; an
// identity source keeps its name, so the clouds' identity variables it reads are hashed in (another role,
// key or token file is another identity).
import { sha256Hex } from '../hash-and-random.js';
import type { Config } from '../config.js';
import type { MappingEntry } from '../mapping/types.js';

export function secretFingerprint(entry: MappingEntry, config: Pick<Config, 'env' | 'identity'>): string {
  const from = entry.source === undefined ? [entry.store, entry.secretRef] : ['source', entry.source];
  let hashed = JSON.stringify([entry.kind, entry.username, ...from, entry.updatedAt, entry.options ?? {}]);
  if (entry.store === 'env') hashed += `\0${config.env[entry.secretRef] ?? ''}`;
  if (entry.source !== undefined) hashed += `\0${JSON.stringify(config.identity)}`;
  return sha256Hex(hashed).slice(0, 32);
}
