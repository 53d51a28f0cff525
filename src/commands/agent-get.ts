// `get` on the agent path, tried before the core is loaded: a running daemon that has the answer at hand
// (daemon/get-answer.ts) spares this process everything else. Any problem with the request is left to the
// full path, which reports it in its usual words.
import type { HelperContext } from '../credentials/core-context.js';
import { askAgent } from '../daemon/agent-client.js';
import { formatCredentials, parseServerURL } from '../protocol/messages.js';
import { trace } from '../trace.js';

/** True when the daemon's answer was printed; false sends `get` down the full path. */
export async function answeredByAgent(context: HelperContext): Promise<boolean> {
  let serverURL: string;
  try {
    serverURL = parseServerURL(context.stdinText());
  } catch {
    return false;
  }
  trace('stdin read');
  const answer = await askAgent(context.config, serverURL);
  trace(answer ? 'agent: answered' : 'agent: no answer');
  if (!answer) return false;
  context.out(formatCredentials({ ServerURL: serverURL, Username: answer.username, Secret: answer.secret }));
  trace('output written');
  return true;
}
