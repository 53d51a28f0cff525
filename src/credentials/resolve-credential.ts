// Answering `get`: find the entry for the server (exact host, then patterns), then the
// credential for it: from the token cache in steady state, else exchanged inline.
import { CredentialsNotFoundError, UserError } from '../errors.js';
import { findBestMatch } from '../hosts/match.js';
import { normalizeServer, type ServerKey } from '../hosts/normalize.js';
import { readMappingView } from '../mapping/mapping-file.js';
import type { MappingEntry } from '../mapping/types.js';
import { trace } from '../trace.js';
import { KIND_TRAITS } from '../clouds/registry.js';
import { INLINE_RETRY } from '../retry.js';
import type { CoreContext } from './core-context.js';
import { credentialFor, type Answer } from './issue-credential.js';

export function findEntry(context: CoreContext, serverURL: string): MappingEntry {
  return entryFor(context, normalizeServer(serverURL));
}

function entryFor(context: CoreContext, target: ServerKey): MappingEntry {
  const { mapping, unreadable } = readMappingView(context.config.paths.mappingFile);
  trace(`mapping read (${mapping.entries.length} entries)`);
  // A damaged entry still takes part in matching: if it is the one meant, the answer is
  // an error naming the damage, not a "not found" that sends the client anonymous.
  const damaged = unreadable.filter((item) => item.server !== undefined);
  // Logins store the normalised key: the common exact hit needs no second normalisation of every entry.
  const exact = damaged.length === 0 ? mapping.entries.find((entry) => entry.server === target.key) : undefined;
  if (exact) return exact;
  const best =
    findBestMatch([...mapping.entries, ...damaged], target, (item) => normalizeServer(item.server!)) ??
    mapping.entries.find((entry) => KIND_TRAITS[entry.kind].patternAlsoServes?.(entry.server, target.key));
  if (!best) throw new CredentialsNotFoundError();
  const damage = damaged.find((item) => item === best);
  if (damage) throw new UserError(`the login for ${target.key} cannot be used: ${damage.problem}`);
  return best as MappingEntry;
}

/** The answer, with the entry it answers for (`get` then asks whether the daemon could have answered it). */
export async function resolveCredential(
  context: CoreContext,
  serverURL: string,
): Promise<Answer & { entry: MappingEntry }> {
  const target = normalizeServer(serverURL);
  const entry = entryFor(context, target);
  // With a daemon running, a token past its refresh time (but still valid) is served
  // at once: the daemon is about to replace it. Without one, this process refreshes.
  // (Only exchanging kinds have tokens to accept: static ones skip the PID-file read.)
  const acceptDueTokens = KIND_TRAITS[entry.kind].exchanges && context.daemonRunning();
  const answer = await credentialFor(context, entry, { retry: INLINE_RETRY, acceptDueTokens, registry: target.key });
  return { ...answer, entry };
}
