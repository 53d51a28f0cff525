// Session buses that misbehave, for tests of bounded keychain waits: a unix socket that
// accepts and then never answers (`silent`), one that completes the D-Bus authentication
// and then ignores every message (`after-auth`), one that drops each connection (`drop`), and one
// that refuses every authentication (`rejected`, offering only a mechanism nobody speaks).
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.js';

export type BusFault = 'silent' | 'after-auth' | 'drop' | 'rejected';

export interface WedgedBus {
  address: string;
  close(): Promise<void>;
}

function answerAuthThenIgnore(socket: Socket): void {
  let pending = '';
  let begun = false;
  socket.on('data', (chunk) => {
    if (begun) return;
    pending += chunk.toString('latin1');
    for (let end = pending.indexOf('\r\n'); end >= 0 && !begun; end = pending.indexOf('\r\n')) {
      const line = pending.slice(0, end).replace(/^\0/, '');
      pending = pending.slice(end + 2);
      if (line.startsWith('AUTH')) socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
      else if (line.startsWith('NEGOTIATE_UNIX_FD')) socket.write('AGREE_UNIX_FD\r\n');
      else if (line.startsWith('BEGIN')) begun = true;
    }
  });
}

function rejectEveryAuth(socket: Socket): void {
  let pending = '';
  socket.on('data', (chunk) => {
    pending += chunk.toString('latin1');
    for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
      const line = pending.slice(0, end).replace(/^\0/, '');
      pending = pending.slice(end + 2);
      if (line.startsWith('AUTH')) socket.write('REJECTED NOBODY-SPEAKS-THIS\r\n');
      else if (line.startsWith('BEGIN'))
        socket.destroy(); // BEGIN before OK: a broken client, as dbus-daemon sees it
      else if (line !== '') socket.write('ERROR "not authenticated"\r\n');
    }
  });
}

export async function startWedgedBus(sb: Sandbox, fault: BusFault): Promise<WedgedBus> {
  const path = join(sb.dir('wedged-bus'), `${fault}.sock`);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {
      /* the client gave up */
    });
    if (fault === 'drop') socket.destroy();
    else if (fault === 'rejected') rejectEveryAuth(socket);
    else if (fault === 'after-auth') answerAuthThenIgnore(socket);
    else
      socket.on('data', () => {
        /* read and never answer */
      });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    address: `unix:path=${path}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
