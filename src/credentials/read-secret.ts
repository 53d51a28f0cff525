// Reading an entry's long-lived secret from the store the mapping names.
import { UserError } from '../errors.js';
import { readMapping } from '../mapping/mapping-file.js';
import { isSourceEntry, type MappingEntry, type SecretPlacement } from '../mapping/types.js';
import { trace } from '../trace.js';
import type { CoreContext } from './core-context.js';

async function lookup(
  context: CoreContext,
  source: SecretPlacement,
): Promise<{ secret: string | undefined; where: string }> {
  const store = await context.openStore(source.store);
  trace(`store opened (${store.name})`);
  const secret = await store.read(source.secretRef);
  trace(`store read (${store.name})`);
  return { secret, where: store.describe(source.secretRef) };
}

function missing(what: string, where: string): UserError {
  // A real failure, not "not found": the client would silently go anonymous.
  return new UserError(`${what} is mapped but its secret is missing from ${where}; log in again`);
}

/** `what` names the secret in the error, e.g. "the pull secret apps/icr". */
export async function readStoredSecret(context: CoreContext, source: SecretPlacement, what: string): Promise<string> {
  const { secret, where } = await lookup(context, source);
  if (secret === undefined) throw missing(what, where);
  return secret;
}

export async function readSecret(context: CoreContext, entry: MappingEntry): Promise<string> {
  // Only kinds that exchange take a source, and their callers ask the source instead (long-lived-side.ts).
  if (isSourceEntry(entry)) throw new UserError(`${entry.server} takes its credential from an identity source`);
  const first = await lookup(context, entry);
  if (first.secret !== undefined) return first.secret;
  // A login that replaced this entry after we read the mapping has removed its old secret: use the new one.
  const current = readMapping(context.config.paths.mappingFile).entries.find((e) => e.server === entry.server);
  if (current?.store && current.secretRef !== entry.secretRef)
    return readStoredSecret(context, current, `the login for ${current.serverURL}`);
  throw missing(`the login for ${entry.serverURL}`, first.where);
}
