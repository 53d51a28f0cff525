// Saving a login: the secret goes to a store under a fresh id, then the mapping entry
// is switched to it, then the old secret is removed. A crash between steps leaves the
// old login working (at worst an orphaned secret), never an entry without a secret.
import { UserError } from '../errors.js';
import { registerSecret } from '../foreign-text.js';
import { normalizeServer } from '../hosts/normalize.js';
import { loadProvider, loginProblem } from '../clouds/registry.js';
import { inferKind } from '../clouds/infer-kind.js';
import { updateMapping } from '../mapping/mapping-file.js';
import type { Kind, MappingEntry } from '../mapping/types.js';
import type { CoreContext } from './core-context.js';
import type { Exchanged } from './long-lived-side.js';
import { entryBase, givenOptions, putEntry } from './new-entry.js';
import { discardSecret, placeSecret, type SecretChoice } from './secret-placement.js';

export interface NewLogin extends SecretChoice {
  serverURL: string;
  username: string;
  secret: string;
  kind?: Kind;
  options?: Record<string, string>;
  /** `login`: kinds that are `verifiedAtLogin` exchange once first (not the `store` verb: the client checked). */
  verify?: boolean;
}

// A UTF-16 surrogate without its pair (JSON can carry one as a `\ud800` escape) is no
// character: the keychain would keep U+FFFD in its place, the file store the original.
const LONE_SURROGATE = /[\ud800-\udfff]/u;

/** Refuses what no store can keep faithfully, before any store is touched. */
export function assertStorable(login: Pick<NewLogin, 'serverURL' | 'username' | 'secret'>): void {
  const fields = [
    ['server URL', login.serverURL],
    ['username', login.username],
    ['secret', login.secret],
  ];
  for (const [what, value] of fields) {
    if (LONE_SURROGATE.test(value)) {
      throw new UserError(
        `the ${what} contains an unpaired UTF-16 surrogate (a lone \\uD800-\\uDFFF escape), ` +
          'which no store keeps intact; nothing was stored',
      );
    }
  }
}

/** The entry as it will be, but for where its secret goes: what a provider needs to try an exchange. */
function provisionalEntry(login: NewLogin, serverKey: string, kind: Kind, now: number): MappingEntry {
  const base = entryBase(serverKey, login.serverURL, kind, login.username, givenOptions(login.options), now);
  return { ...base, store: 'env', secretRef: '' };
}

/**
 * The login as it will be stored: a kind whose secret names its owner (a key file) checks the secret and gives
 * the username. A secret left in the environment (`--secret-env`) is read only at use time.
 */
async function acceptedLogin(login: NewLogin, kind: Kind): Promise<NewLogin> {
  const provider = login.secretEnv === undefined ? await loadProvider(kind) : undefined;
  const accepted = provider?.acceptLogin ? { ...login, ...provider.acceptLogin(login) } : login;
  if (!accepted.username) throw new UserError('login needs a username: -u USER');
  return accepted;
}

export async function storeCredential(context: CoreContext, given: NewLogin): Promise<MappingEntry> {
  assertStorable(given);
  const server = normalizeServer(given.serverURL);
  const problem = given.kind === undefined ? loginProblem(server.key, given.username) : undefined;
  if (problem) throw new UserError(problem);
  const inferred = given.kind ?? inferKind(server.key, given.username, given.options);
  const login = await acceptedLogin(given, inferred);
  let checked: { entry: MappingEntry; exchanged?: Exchanged } | undefined;
  if (login.verify) {
    const { verifyLogin } = await import('./verify-login.js');
    registerSecret(login.secret);
    const provisional = provisionalEntry(login, server.key, inferred, context.now());
    checked = { entry: provisional, exchanged: await verifyLogin(context, provisional, { secret: login.secret }) };
  }
  let replaced: MappingEntry | undefined;
  const entry = await updateMapping(async (mapping) => {
    const index = mapping.entries.findIndex((e) => e.server === server.key);
    // `docker login` again with the same user (a rotated key) keeps what only `login` can set:
    // the kind and the provider options (a private IAM endpoint, an API server to mint tokens with).
    const previous =
      index >= 0 && mapping.entries[index].username === login.username ? mapping.entries[index] : undefined;
    const options = givenOptions(login.options) ?? previous?.options;
    const placement = await placeSecret(context, mapping, server.key, login.secret, login);
    const kind = login.kind ?? previous?.kind ?? inferred;
    const next: MappingEntry = {
      ...entryBase(server.key, login.serverURL, kind, login.username, options, context.now()),
      ...placement,
    };
    replaced = putEntry(mapping, index, next);
    return next;
  }, context.config.paths.mappingFile);
  await discardSecret(context, replaced, entry);
  // The check's token serves the first get: unless the provider answered the stored secret itself, or the entry
  // kept a kind or options of an earlier login that the check did not use.
  const issued = checked?.exchanged?.issued;
  const sameLogin =
    entry.kind === checked?.entry.kind && JSON.stringify(entry.options) === JSON.stringify(checked.entry.options);
  if (issued && issued.secret !== login.secret && sameLogin) {
    await (await import('./token-state.js')).recordCheckToken(context, entry, issued);
  }
  return entry;
}
