// Asks the running daemon over its socket. Resolves undefined when no daemon listens;
// rejects when one listens but does not answer in time (a different problem).
import { connect } from 'node:net';
import { UserError } from '../errors.js';
import type { LanyardPaths } from '../paths.js';
import { daemonSocketPath } from '../daemon-files.js';
import type { DaemonRequest } from './socket-protocol.js';

export function askDaemon(
  paths: LanyardPaths,
  request: DaemonRequest,
  timeoutMs: number,
): Promise<unknown | undefined> {
  return new Promise((resolve, reject) => {
    const socket = connect(daemonSocketPath(paths));
    let answer = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new UserError(`the lanyard daemon did not answer within ${timeoutMs / 1000} s (see its log)`));
    });
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
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
