// Serves DaemonRequests on the unix socket: owner-only (0600), and refused to a peer of another
// uid where the runtime can tell (daemon/peer-credentials.ts).
import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { describeError } from '../errors.js';
import { log } from '../log.js';
import type { PeerUidOf } from './peer-credentials.js';
import { MAX_REQUEST_BYTES, parseDaemonRequest, type DaemonRequest } from './socket-protocol.js';

/**
 * Connections served at once. A get holds one for a millisecond; past this, a connection is answered "busy" and
 * closed (its get then works alone), so a flood of held-open connections cannot grow the daemon without bound.
 */
export const MAX_CONNECTIONS = 64;

export function serveSocket(
  path: string,
  handle: (request: DaemonRequest) => Promise<unknown>,
  peerUidOf: PeerUidOf = () => undefined,
): Promise<Server> {
  let open = 0;
  const server = createServer((socket: Socket) => {
    socket.on('error', () => socket.destroy());
    const reply = (body: unknown) => socket.end(`${JSON.stringify(body)}\n`);
    if (open >= MAX_CONNECTIONS) {
      reply({ error: `busy: ${MAX_CONNECTIONS} connections are open` });
      return;
    }
    open += 1;
    socket.once('close', () => {
      open -= 1;
    });
    const peer = peerUidOf(socket);
    if (peer !== undefined && peer !== process.getuid?.()) {
      log.warn(`refused a connection to the daemon socket from uid ${peer}`);
      reply({ error: `refused: the daemon answers only its own user (uid ${process.getuid?.()})` });
      return;
    }
    let buffered = '';
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      // end() flushes the answer and closes; destroy() right after would drop it unsent.
      if (buffered.length > MAX_REQUEST_BYTES) {
        socket.removeAllListeners('data');
        reply({ error: 'request too large' });
        return;
      }
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      socket.removeAllListeners('data');
      socket.setTimeout(0); // a refresh may take as long as the token service does
      let request: DaemonRequest;
      try {
        request = parseDaemonRequest(buffered.slice(0, newline));
      } catch (error) {
        reply({ error: describeError(error) });
        return;
      }
      handle(request).then(reply, (error: unknown) => reply({ error: describeError(error) })); // one line, sanitised
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      try {
        chmodSync(path, 0o600); // the runtime dir is 0700 already; the socket is not wider than it
      } catch (error) {
        server.close();
        reject(error);
        return;
      }
      resolve(server);
    });
  });
}
