// A session bus that treats lanyard's connections differently, in the order they are made: it refuses
// the D-Bus reader's authentication (which hands the read to the keyring addon), passes the session-bus
// check through to a real bus, and then fails the addon's own connection — silent from the first byte
// (`silent`), silent after `OK` (`after-auth`), or the real bus's answers dripped one byte every 0.3 s
// (`drip`). One `get` makes exactly these three connections, in this order.
import { createConnection, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Sandbox } from './sandbox.js';
import { unixSocketOf } from '../../../src/secrets/session-bus.js';

export type AddonFault = 'silent' | 'after-auth' | 'drip';
/** What the bus does with one connection. */
export type ConnectionPlan = 'reject-auth' | 'pass' | AddonFault;

export interface TwoFacedBus {
  address: string;
  /** How many connections were made so far. */
  connections(): number;
  close(): Promise<void>;
}

const DRIP_MS = 300;

function lines(socket: Socket, onLine: (line: string) => void): void {
  let pending = '';
  socket.on('data', (chunk) => {
    pending += chunk.toString('latin1');
    for (let end = pending.indexOf('\r\n'); end >= 0; end = pending.indexOf('\r\n')) {
      onLine(pending.slice(0, end).replace(/^\0/, ''));
      pending = pending.slice(end + 2);
    }
  });
}

function rejectAuth(socket: Socket): void {
  lines(socket, (line) => {
    if (line.startsWith('AUTH')) socket.write('REJECTED NOBODY-SPEAKS-THIS\r\n');
  });
}

function answerAuthThenIgnore(socket: Socket): void {
  let begun = false;
  lines(socket, (line) => {
    if (begun) return;
    if (line.startsWith('AUTH')) socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
    else if (line.startsWith('NEGOTIATE_UNIX_FD')) socket.write('AGREE_UNIX_FD\r\n');
    else if (line.startsWith('BEGIN')) begun = true;
  });
}

/** Both directions to the real bus; with `drip`, what comes back arrives one byte every 0.3 s. */
function pass(socket: Socket, realSocket: string, drip: boolean, timers: Set<NodeJS.Timeout>): void {
  const upstream = createConnection({ path: realSocket });
  upstream.on('error', () => socket.destroy());
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
  socket.on('data', (chunk) => upstream.write(chunk));
  if (!drip) {
    upstream.on('data', (chunk) => socket.write(chunk));
    return;
  }
  const queue: number[] = [];
  upstream.on('data', (chunk) => queue.push(...chunk));
  const timer = setInterval(() => {
    const byte = queue.shift();
    if (byte !== undefined && !socket.destroyed) socket.write(Buffer.of(byte));
  }, DRIP_MS);
  timers.add(timer);
  socket.on('close', () => {
    clearInterval(timer);
    timers.delete(timer);
  });
}

/** `plans[i]` is what the i-th connection gets; every later one gets the last plan. */
export async function startTwoFacedBus(
  sb: Sandbox,
  realAddress: string,
  plans: ConnectionPlan[],
): Promise<TwoFacedBus> {
  const realSocket = unixSocketOf(realAddress);
  if (realSocket === undefined) throw new Error(`not a unix bus address: ${realAddress}`);
  const path = join(sb.dir('two-faced-bus'), `${plans.at(-1)}.sock`);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let count = 0;
  const server = createServer((socket) => {
    const plan = plans[Math.min(count, plans.length - 1)]!;
    count++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {
      /* the client gave up */
    });
    if (plan === 'reject-auth') rejectAuth(socket);
    else if (plan === 'after-auth') answerAuthThenIgnore(socket);
    else if (plan === 'silent')
      socket.on('data', () => {
        /* read and never answer */
      });
    else pass(socket, realSocket, plan === 'drip', timers);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    address: `unix:path=${path}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
