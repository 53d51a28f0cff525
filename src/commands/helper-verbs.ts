// The docker-credential-helpers verbs: stdin in, JSON out, every error as one line on
// stdout with exit 1 (clients capture only stdout; stderr lands in the user's terminal).
import { CredentialsNotFoundError, describeError } from '../errors.js';
import { foreignText } from '../foreign-text.js';
import type { HelperContext } from '../credentials/core-context.js';
import { formatCredentials, parseServerURL, parseStoreRequest } from '../protocol/messages.js';
import { tellTerminal } from '../protocol/terminal-notice.js';
import { trace } from '../trace.js';

/** A real failure of `get` (not "no login") is also told to the person at the terminal and the log. */
async function reportGetFailure(context: HelperContext, serverURL: string, error: unknown): Promise<never> {
  if (!(error instanceof CredentialsNotFoundError)) {
    const message = describeError(error);
    const server = foreignText(serverURL, 256); // a client's text, shown to a terminal
    const { log } = await import('../log.js');
    log.warn(`get ${server} failed: ${message}`);
    tellTerminal(context.config, `lanyard: ${message.includes(server) ? message : `${server}: ${message}`}`);
  }
  throw error;
}

async function run(verb: string, context: HelperContext): Promise<void> {
  switch (verb) {
    case 'store': {
      const request = parseStoreRequest(context.stdinText());
      const { storeCredential } = await import('../credentials/store-credential.js');
      const login = { serverURL: request.ServerURL, username: request.Username, secret: request.Secret };
      await storeCredential(context, login);
      return;
    }
    case 'get': {
      // A running daemon with the answer at hand spares this process the core (commands/agent-get.ts).
      if (context.config.agent && (await (await import('./agent-get.js')).answeredByAgent(context))) return;
      const serverURL = parseServerURL(context.stdinText());
      const { resolveCredential } = await import('../credentials/resolve-credential.js');
      trace('imports: resolve-credential');
      const { username, secret, entry } = await resolveCredential(context, serverURL).catch((error: unknown) =>
        reportGetFailure(context, serverURL, error),
      );
      context.out(formatCredentials({ ServerURL: serverURL, Username: username, Secret: secret }));
      trace('output written');
      // The agent did not answer: start it for the next `get` (daemon/on-demand.ts), once the answer is out.
      if (context.config.agent) (await import('../daemon/on-demand.js')).startDaemonOnDemand(context, entry);
      return;
    }
    case 'erase': {
      const serverURL = parseServerURL(context.stdinText());
      const { eraseCredential } = await import('../credentials/erase-credential.js');
      // Erasing what is not there succeeds quietly, as the secretservice and wincred helpers do:
      // containers/image cannot recognise a wrapped not-found from erase, and skopeo/podman logout crash on it.
      await eraseCredential(context, serverURL);
      return;
    }
    case 'list': {
      const { listCredentials } = await import('../credentials/list-credentials.js');
      context.out(`${JSON.stringify(listCredentials(context))}\n`);
      return;
    }
  }
}

export async function runHelperVerb(verb: string, context: HelperContext): Promise<number> {
  try {
    await run(verb, context);
    return 0;
  } catch (error) {
    context.out(`${describeError(error)}\n`);
    return 1;
  }
}
