// Which logins the daemon can answer a `get` for: those whose answer does not depend on the asker's environment.
// The agent path (get-answer.ts) and the on-demand start (on-demand.ts) ask the same question.
import { isSourceEntry, type MappingEntry, type StoredEntry } from '../mapping/types.js';

/** Not an env-store secret, and not an identity source: both read variables the daemon's environment need not share. */
export const daemonAnswers = (entry: MappingEntry): entry is StoredEntry =>
  !isSourceEntry(entry) && entry.store !== 'env';
