// Asks the running daemon over its socket. Resolves undefined when none answers.
import { connect } from 'node:net';
import { daemonSocketPath } from './daemon-files.js';
import type { DaemonRequest } from './socket-protocol.js';

export function askDaemon(request: DaemonRequest, timeoutMs = 30_000): Promise<unknown | undefined> {
  return new Promise((resolve) => {
    const socket = connect(daemonSocketPath());
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => { socket.destroy(); resolve(undefined); });
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => { answer += chunk; });
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => {
      try {
        resolve(answer ? JSON.parse(answer) : undefined);
      } catch {
        resolve(undefined);
      }
    });
  });
}
