// Which stored secret a cached token belongs to, computed without reading the keychain
// (the hot path must not): every login writes its secret under a fresh random id, so
// the id, with the entry's settings, changes whenever the secret does. Environment
// secrets keep their variable name, so their value is hashed in.
import { createHash } from 'node:crypto';
import type { Environment } from '../config.js';
import type { MappingEntry } from '../mapping/types.js';

export function secretFingerprint(entry: MappingEntry, env: Environment): string {
  const hash = createHash('sha256');
  hash.update(
    JSON.stringify([entry.kind, entry.username, entry.store, entry.secretRef, entry.updatedAt, entry.options ?? {}]),
  );
  if (entry.store === 'env') hash.update(`\0${env[entry.secretRef] ?? ''}`);
  return hash.digest('hex').slice(0, 32);
}
