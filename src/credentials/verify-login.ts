// `login` for kinds whose secret a service can vouch for right away, and for every login with an identity
// source: one exchange before anything is stored, so a mistyped key, a wrong tenant or a node without the
// identity is told at login, not at the first pull inside a build.
import { describeError, UserError } from '../errors.js';
import { isSourceEntry, type MappingEntry } from '../mapping/types.js';
import { KIND_TRAITS } from '../clouds/registry.js';
import { INLINE_RETRY, withRetries } from '../retry.js';
import type { CoreContext } from './core-context.js';
import { type Exchanged, exchangeOnce, type LongLivedSide } from './long-lived-side.js';

/** What the one exchange gave; undefined when the kind needs no check. Throws when nothing may be stored. */
export async function verifyLogin(
  context: CoreContext,
  entry: MappingEntry,
  side: LongLivedSide,
): Promise<Exchanged | undefined> {
  if (!KIND_TRAITS[entry.kind].verifiedAtLogin && !isSourceEntry(entry)) return undefined;
  const issue = { timeoutMs: INLINE_RETRY.requestTimeoutMs };
  try {
    return await withRetries(() => exchangeOnce(context, entry, side, issue), INLINE_RETRY);
  } catch (error) {
    throw new UserError(`the login for ${entry.server} was not stored: ${describeError(error)}`);
  }
}
