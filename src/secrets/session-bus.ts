// Does the D-Bus session bus answer, within a deadline? The keyring addon connects
// through libdbus synchronously and with no deadline of its own: a bus socket that
// accepts and never answers blocks the whole process forever (authentication), one
// that authenticates and then goes silent blocks it for 25 s (Hello). Doing the same
// handshake here first, asynchronously, turns both into a bounded, named failure.
// (Once connected, the addon gives every call to the Secret Service 2 s.)
import { authExternalLine, helloCall } from './dbus-wire.js';
import { converseOverUnixSocket, type UnixSocket, unreliableTarget } from './unix-socket.js';

export type BusCheck =
  | { state: 'answers' }
  /** Nothing could be asked: no usable address, or a transport this check does not speak (libdbus still tries). */
  | { state: 'unchecked' }
  | { state: 'unreachable'; seen: string }
  | { state: 'silent'; stage: string };

/** The socket of the first unix address in a D-Bus address list (`unix:path=…` or `unix:abstract=…`). */
export function unixSocketOf(address: string): string | undefined {
  for (const entry of address.split(';')) {
    const colon = entry.indexOf(':');
    if (entry.slice(0, colon) !== 'unix') continue;
    for (const pair of entry.slice(colon + 1).split(',')) {
      const [key, value = ''] = pair.split('=', 2);
      const decoded = value.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
      if (key === 'path') return decoded;
      if (key === 'abstract') return `\0${decoded}`;
    }
  }
  return undefined;
}

const SOCKET_ERRORS: Record<string, string> = {
  ENOENT: 'no such socket',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EACCES: 'permission denied',
  ENOTSOCK: 'not a socket',
};

/** Authenticates (EXTERNAL, as libdbus does) and says Hello; resolves at the first reply, or at the deadline. */
export function checkSessionBus(address: string | undefined, timeoutMs: number): Promise<BusCheck> {
  const socketPath = address ? unixSocketOf(address) : undefined;
  if (socketPath === undefined || !process.getuid) return Promise.resolve({ state: 'unchecked' });
  const uid = process.getuid();
  let stage = 'authentication';
  let received = '';
  let socket: UnixSocket | undefined;
  return converseOverUnixSocket<BusCheck>(socketPath, timeoutMs, (end) => ({
    open: (opened) => {
      socket = opened;
      opened.write(authExternalLine(uid));
    },
    data: (chunk) => {
      if (stage === 'Hello') return end({ state: 'answers' });
      received += chunk.toString('latin1');
      if (!received.includes('\r\n')) return;
      // Any answer to AUTH shows the bus is alive; a refusal is libdbus's to report.
      if (!received.startsWith('OK ')) return end({ state: 'answers' });
      stage = 'Hello';
      socket?.write(Buffer.concat([Buffer.from('BEGIN\r\n', 'latin1'), helloCall(1)]));
    },
    // Where our connect may fail though libdbus's would not, libdbus decides (without a deadline).
    error: (code, message) =>
      unreliableTarget(socketPath)
        ? { state: 'unchecked' }
        : { state: 'unreachable', seen: SOCKET_ERRORS[code ?? ''] ?? message },
    close: () => ({ state: 'unreachable', seen: `connection closed during ${stage}` }),
    timeout: () => ({ state: 'silent', stage }),
  }));
}
