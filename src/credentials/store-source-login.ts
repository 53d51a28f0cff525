// `login --source`: a login that stores no secret. One exchange through the identity source proves it works
// here (and says whom it proved); then only the mapping changes, and a secret the entry had before is removed.
import { normalizeServer } from '../hosts/normalize.js';
import { updateMapping } from '../mapping/mapping-file.js';
import type { Kind, MappingEntry, SourceChoice, SourceEntry } from '../mapping/types.js';
import type { CoreContext } from './core-context.js';
import type { SourceAnswer } from './long-lived-side.js';
import { discardSecret } from './secret-placement.js';
import { recordCheckToken } from './token-state.js';
import { entryBase, givenOptions, putEntry } from './new-entry.js';

export interface NewSourceLogin {
  serverURL: string;
  kind: Kind;
  source: SourceChoice;
  options?: Record<string, string>;
}

/** Maps the entry (replacing one on its key, whose secret goes) and returns it as mapped. */
async function putSourceEntry(context: CoreContext, next: SourceEntry): Promise<SourceEntry> {
  let replaced: MappingEntry | undefined;
  const entry = await updateMapping(async (mapping) => {
    replaced = putEntry(
      mapping,
      mapping.entries.findIndex((e) => e.server === next.server),
      next,
    );
    return next;
  }, context.config.paths.mappingFile);
  await discardSecret(context, replaced);
  return entry;
}

const provisionalEntry = (context: CoreContext, given: NewSourceLogin): SourceEntry => {
  const server = normalizeServer(given.serverURL);
  const base = entryBase(server.key, given.serverURL, given.kind, '', givenOptions(given.options), context.now());
  return { ...base, source: given.source };
};

export async function storeSourceLogin(
  context: CoreContext,
  given: NewSourceLogin,
): Promise<{ entry: SourceEntry; answered: SourceAnswer }> {
  const provisional = provisionalEntry(context, given);
  const { verifyLogin } = await import('./verify-login.js');
  const checked = await verifyLogin(context, provisional, { entry: provisional });
  const answered = checked?.source;
  if (!answered) throw new Error('a source login was not verified'); // verifyLogin always checks source logins
  // The username is whom the source proved at login: for people (ls), never sent anywhere.
  const entry = await putSourceEntry(context, { ...provisional, username: answered.identity });
  const answeredBy = { source: answered.name, identity: answered.identity };
  await recordCheckToken(context, entry, checked.issued, answeredBy);
  return { entry, answered };
}

/**
 * `configure --ecr` and its like: a pattern for every registry of a cloud, answered from whatever identity the
 * environment proves at each pull, as the cloud's own helper does. Nothing is checked now: the identity may come
 * later (a node image baked before it runs). An entry already on the key is kept; undefined then.
 */
export async function mapAmbientLogin(context: CoreContext, given: NewSourceLogin): Promise<SourceEntry | undefined> {
  const next = provisionalEntry(context, given);
  return updateMapping(async (mapping) => {
    if (mapping.entries.some((e) => e.server === next.server)) return undefined;
    putEntry(mapping, -1, next);
    return next;
  }, context.config.paths.mappingFile);
}
