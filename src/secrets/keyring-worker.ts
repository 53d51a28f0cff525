// The keyring addon's own thread. Its calls are synchronous native calls into libdbus, and a session
// bus may leave one waiting for as long as it likes (silent at authentication, or dripping bytes):
// run here, such a call blocks only this thread, and the main thread (keyring-thread.ts) keeps its
// deadline, reports the hang and abandons this thread. Loaded only when the addon is needed.
import { parentPort } from 'node:worker_threads';
import type { AddonReply, AddonRequest } from './keyring-thread.js';

const port = parentPort;
if (!port) throw new Error('keyring-worker.ts runs only as a worker thread');
// Imported here, not by the main thread: loading it there would cost every process that never calls it.
const { Entry } = await import('@napi-rs/keyring');

function perform({ op, service, account, secret }: AddonRequest): string | null {
  // On Linux, pinned to the Secret Service: the library's default falls back to the kernel keyring,
  // which forgets everything at logout.
  const entry = new Entry(service, account, { linux: { store: 'secret-service' } });
  switch (op) {
    case 'read':
      return entry.getPassword() ?? null;
    case 'write':
      entry.setPassword(secret ?? '');
      return null;
    case 'delete':
      entry.deleteCredential();
      return null;
  }
}

port.on('message', (request: AddonRequest) => {
  const started = Date.now();
  let reply: AddonReply;
  try {
    reply = { id: request.id, value: perform(request), elapsedMs: Date.now() - started };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    reply = { id: request.id, error: message, elapsedMs: Date.now() - started };
  }
  port.postMessage(reply);
});
port.postMessage({ id: 0, value: null, elapsedMs: 0 } satisfies AddonReply);
