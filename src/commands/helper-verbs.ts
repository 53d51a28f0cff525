// The docker-credential-helpers verbs: stdin in, JSON out, every error as one line on
// stdout with exit 1 (clients capture only stdout; stderr lands in the user's terminal).
import { describeError } from '../errors.js';
import { formatCredentials, parseServerURL, parseStoreRequest } from '../protocol/messages.js';
import { readStdin } from '../protocol/stdin.js';
import { writeOut } from '../output.js';

async function run(verb: string): Promise<void> {
  switch (verb) {
    case 'store': {
      const request = parseStoreRequest(readStdin());
      const { storeCredential } = await import('../credentials/store-credential.js');
      await storeCredential({ serverURL: request.ServerURL, username: request.Username, secret: request.Secret });
      return;
    }
    case 'get': {
      const serverURL = parseServerURL(readStdin());
      const { resolveCredential } = await import('../credentials/resolve-credential.js');
      const { username, secret } = await resolveCredential(serverURL);
      writeOut(formatCredentials({ ServerURL: serverURL, Username: username, Secret: secret }));
      return;
    }
    case 'erase': {
      const serverURL = parseServerURL(readStdin());
      const { eraseCredential } = await import('../credentials/erase-credential.js');
      await eraseCredential(serverURL);
      return;
    }
    case 'list': {
      const { listCredentials } = await import('../credentials/list-credentials.js');
      writeOut(`${JSON.stringify(listCredentials())}\n`);
      return;
    }
  }
}

export async function runHelperVerb(verb: string): Promise<number> {
  try {
    await run(verb);
    return 0;
  } catch (error) {
    writeOut(`${describeError(error)}\n`);
    return 1;
  }
}
