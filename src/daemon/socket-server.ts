// Serves DaemonRequests on the unix socket.
import { createServer, type Server, type Socket } from 'node:net';
import { describeError } from '../errors.js';
import { MAX_REQUEST_BYTES, parseDaemonRequest, type DaemonRequest } from './socket-protocol.js';

export function serveSocket(path: string, handle: (request: DaemonRequest) => Promise<unknown>): Promise<Server> {
  const server = createServer((socket: Socket) => {
    let buffered = '';
    socket.setEncoding('utf8');
    socket.setTimeout(10_000, () => socket.destroy());
    const reply = (body: unknown) => socket.end(`${JSON.stringify(body)}\n`);
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
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
