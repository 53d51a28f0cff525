// The daemon's side of `get` (the agent path): the whole answer, when it is at hand without waiting on
// anything: a static login's secret the agent holds, or a cached token (one past its refresh time too: this
// daemon is about to replace it). The entry is found in the mapping as `get` finds it. Anything else (no
// login, a secret not held yet, a token to exchange, an error) is no answer: the asker then does the work
// itself, as it would with no daemon, and reports any failure in its own words.
import type { CoreContext } from '../credentials/core-context.js';
import { cachedToken } from '../credentials/issue-credential.js';
import { findEntry } from '../credentials/resolve-credential.js';
import { describeError } from '../errors.js';
import { normalizeServer } from '../hosts/normalize.js';
import { log } from '../log.js';
import { loadProvider } from '../clouds/registry.js';
import { KIND_TRAITS } from '../clouds/registry.js';
import type { SecretAgent } from './secret-agent.js';
import type { GetRequest } from './socket-protocol.js';
import { daemonAnswers } from './answerable.js';
import { type GetAnswer, withinAgentBounds } from './agent-answer.js';

async function lookUp(context: CoreContext, agent: SecretAgent, serverURL: string): Promise<GetAnswer['answer']> {
  const entry = findEntry(context, serverURL);
  if (!daemonAnswers(entry)) return null;
  if (KIND_TRAITS[entry.kind].exchanges) {
    // A pattern with a token per registry (ECR across regions) keeps the one asked for under its own key.
    const token = cachedToken(context, entry, normalizeServer(serverURL).key);
    return token ? { username: token.username, secret: token.secret } : null;
  }
  const held = agent.secretFor(entry);
  if (held === undefined) return null;
  const { username, secret } = await (await loadProvider(entry.kind)).issue(entry, held, { config: context.config });
  return { username, secret };
}

export async function answerGet(context: CoreContext, agent: SecretAgent, request: GetRequest): Promise<GetAnswer> {
  const { mappingFile, secretsFile } = context.config.paths;
  const ownFiles = request.mappingFile === mappingFile && request.secretsFile === secretsFile;
  if (!context.config.agent || !ownFiles) return { answer: null };
  try {
    const answer = await lookUp(context, agent, request.serverURL);
    return { answer: answer && withinAgentBounds(answer) ? answer : null };
  } catch (error) {
    log.debug(`agent: no answer for a get: ${describeError(error)}`);
    return { answer: null };
  }
}
