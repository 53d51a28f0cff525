// Answering `get`: find the entry for the server (exact host, then patterns), then the
// credential for it: from the token cache in steady state, else exchanged inline.
import { CredentialsNotFoundError } from '../errors.js';
import { runningDaemonPid } from '../daemon/daemon-files.js';
import { findBestMatch } from '../hosts/match.js';
import { normalizeServer, storedServerKey } from '../hosts/normalize.js';
import { readMapping } from '../mapping/mapping-file.js';
import type { MappingEntry } from '../mapping/types.js';
import { EXCHANGING_KINDS } from '../providers/index.js';
import { INLINE_RETRY } from '../providers/retry.js';
import { credentialFor, type Answer } from './issue-credential.js';

export function findEntry(serverURL: string): MappingEntry {
  const target = normalizeServer(serverURL);
  const entry = findBestMatch(readMapping().entries, target, (e) => storedServerKey(e.server));
  if (!entry) throw new CredentialsNotFoundError();
  return entry;
}

export async function resolveCredential(serverURL: string): Promise<Answer> {
  const entry = findEntry(serverURL);
  // With a daemon running, a token past its refresh time (but still valid) is served
  // at once: the daemon is about to replace it. Without one, this process refreshes.
  // (Only exchanging kinds have tokens to accept: static ones skip the PID-file read.)
  const acceptDueTokens = EXCHANGING_KINDS.has(entry.kind) && runningDaemonPid() !== undefined;
  return credentialFor(entry, { retry: INLINE_RETRY, acceptDueTokens });
}
