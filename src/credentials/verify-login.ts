// `login` for kinds whose secret a service can vouch for right away: one exchange before anything is
// stored, so a mistyped key or a wrong tenant is told at login, not at the first pull inside a build.
import { describeError, UserError } from '../errors.js';
import { registerSecret } from '../foreign-text.js';
import type { MappingEntry } from '../mapping/types.js';
import { loadProvider } from '../providers/index.js';
import { KIND_TRAITS } from '../providers/kinds.js';
import { INLINE_RETRY, withRetries } from '../providers/retry.js';

/** Resolves when the kind needs no check or the service accepted the secret; otherwise nothing was stored. */
export async function verifyLogin(entry: MappingEntry, secret: string): Promise<void> {
  if (!KIND_TRAITS[entry.kind].verifiedAtLogin) return;
  registerSecret(secret);
  const provider = await loadProvider(entry.kind);
  try {
    await withRetries(() => provider.issue(entry, secret, { timeoutMs: INLINE_RETRY.requestTimeoutMs }), INLINE_RETRY);
  } catch (error) {
    throw new UserError(`the login for ${entry.server} was not stored: ${describeError(error)}`);
  }
}
