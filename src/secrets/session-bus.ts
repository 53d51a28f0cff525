// Does the D-Bus session bus answer, within a deadline? The keyring addon connects
// through libdbus synchronously and with no deadline of its own: a bus socket that
// accepts and never answers blocks the whole process forever (authentication), one
// that authenticates and then goes silent blocks it for 25 s (Hello). Doing the same
// handshake here first, asynchronously, turns both into a bounded, named failure.
// (Once connected, the addon gives every call to the Secret Service 2 s.)
import { connectUnixSocket, unreliableTarget, type UnixSocket } from './unix-socket.js';

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

// org.freedesktop.DBus.Hello, the first message every client sends; marshalled by hand
// (little-endian header, no body) to keep a D-Bus library off the path of every `get`.
function helloMessage(): Buffer {
  const bytes: number[] = [];
  const u32 = (value: number) => bytes.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, value >>> 24);
  const align = (to: number) => {
    while (bytes.length % to) bytes.push(0);
  };
  bytes.push(0x6c, 1, 0, 1); // 'l'ittle-endian, METHOD_CALL, no flags, protocol 1
  u32(0); // body length
  u32(1); // serial
  const fieldsLengthAt = bytes.length;
  u32(0);
  const fields: [number, string, string][] = [
    [1, 'o', '/org/freedesktop/DBus'],
    [2, 's', 'org.freedesktop.DBus'],
    [3, 's', 'Hello'],
    [6, 's', 'org.freedesktop.DBus'],
  ];
  for (const [code, type, value] of fields) {
    align(8);
    bytes.push(code, 1, type.charCodeAt(0), 0); // field code, then a variant with signature `type`
    u32(value.length);
    bytes.push(...Buffer.from(value, 'latin1'), 0);
  }
  const message = Buffer.from(bytes);
  message.writeUInt32LE(bytes.length - fieldsLengthAt - 4, fieldsLengthAt);
  return Buffer.concat([message, Buffer.alloc((8 - (message.length % 8)) % 8)]);
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
  const uid = Buffer.from(String(process.getuid()), 'latin1').toString('hex');
  return new Promise((resolve) => {
    let stage = 'authentication';
    let received = '';
    let socket: UnixSocket | undefined;
    let settled = false;
    const finish = (check: BusCheck) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(check);
    };
    const timer = setTimeout(() => finish({ state: 'silent', stage }), timeoutMs);
    void connectUnixSocket(socketPath, {
      open: (opened) => {
        socket = opened;
        opened.write(`\0AUTH EXTERNAL ${uid}\r\n`);
      },
      data: (chunk) => {
        if (stage === 'Hello') return finish({ state: 'answers' });
        received += chunk.toString('latin1');
        if (!received.includes('\r\n')) return;
        // Any answer to AUTH shows the bus is alive; a refusal is libdbus's to report.
        if (!received.startsWith('OK ')) return finish({ state: 'answers' });
        stage = 'Hello';
        socket?.write(Buffer.concat([Buffer.from('BEGIN\r\n', 'latin1'), helloMessage()]));
      },
      // Where our connect may fail though libdbus's would not, libdbus decides (without a deadline).
      error: (code, message) =>
        finish(
          unreliableTarget(socketPath)
            ? { state: 'unchecked' }
            : { state: 'unreachable', seen: SOCKET_ERRORS[code ?? ''] ?? message },
        ),
      close: () => finish({ state: 'unreachable', seen: `connection closed during ${stage}` }),
    }).then((opened) => {
      socket = opened;
      if (settled) opened.destroy();
    });
  });
}
