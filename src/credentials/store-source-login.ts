// `login --source`: a login that stores no secret. One exchange through the identity source proves it works
// here (and says whom it proved); then only the mapping changes, and a secret the entry had before is removed.
import { normalizeServer } from '../hosts/normalize.js';
import { updateMapping } from '../mapping/mapping-file.js';
import type { Kind, MappingEntry, SourceChoice, SourceEntry } from '../mapping/types.js';
import type { CoreContext } from './core-context.js';
import type { SourceAnswer } from './long-lived-side.js';
import { discardSecret } from './secret-placement.js';
import { entryBase, givenOptions, putEntry } from './new-entry.js';

export interface NewSourceLogin {
  serverURL: string;
  kind: Kind;
  source: SourceChoice;
  options?: Record<string, string>;
}

export async function storeSourceLogin(
  context: CoreContext,
  given: NewSourceLogin,
): Promise<{ entry: SourceEntry; answered: SourceAnswer }> {
  const server = normalizeServer(given.serverURL);
  const base = entryBase(server.key, given.serverURL, given.kind, '', givenOptions(given.options), context.now());
  const provisional: SourceEntry = { ...base, source: given.source };
  const { verifyLogin } = await import('./verify-login.js');
  const answered = (await verifyLogin(context, provisional, { entry: provisional }))?.source;
  if (!answered) throw new Error('a source login was not verified'); // verifyLogin always checks source logins
  let replaced: MappingEntry | undefined;
  const entry = await updateMapping(async (mapping) => {
    // The username is whom the source proved at login: for people (ls), never sent anywhere.
    const next: SourceEntry = { ...provisional, username: answered.identity };
    replaced = putEntry(
      mapping,
      mapping.entries.findIndex((e) => e.server === server.key),
      next,
    );
    return next;
  }, context.config.paths.mappingFile);
  await discardSecret(context, replaced);
  return { entry, answered };
}
