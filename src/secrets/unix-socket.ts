// A tiny client conversation over a unix socket, for the session-bus check and the D-Bus
// keychain reader. Under Bun (the shipped binary) it uses Bun's native socket: importing
// node:net there costs about 17 ms of CPU per process (measured on 2 cores, against ~2 ms for
// Bun.connect), paid on every keychain `get`. Under Node (development, unit tests) it uses node:net.

export interface SocketEvents {
  /** Connected: `socket` is the same object connectUnixSocket resolves to, handed over before it may be. */
  open(socket: UnixSocket): void;
  data(chunk: Buffer): void;
  /** Connecting or talking failed; `code` is the errno name when there is one (ENOENT, ECONNREFUSED…). */
  error(code: string | undefined, message: string): void;
  close(): void;
}

export interface UnixSocket {
  /** Small messages only: a partial write is not resumed. */
  write(data: Buffer | string): void;
  destroy(): void;
}

interface BunSocket {
  write(data: Buffer | string): number;
  end(): void;
  terminate?(): void;
}
interface BunRuntime {
  connect(options: {
    unix: string;
    socket: {
      open(socket: BunSocket): void;
      data(socket: BunSocket, chunk: Uint8Array): void;
      close(): void;
      error(socket: BunSocket, error: Error): void;
      connectError?(socket: BunSocket, error: Error): void;
    };
  }): Promise<BunSocket>;
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException)?.code;
}

function connectWithBun(bun: BunRuntime, path: string, events: SocketEvents): UnixSocket {
  let live: BunSocket | undefined;
  let destroyed = false;
  const fail = (error: Error) => events.error(errorCode(error), error.message);
  const wrapper: UnixSocket = {
    write: (data) => {
      live?.write(data);
    },
    destroy: () => {
      destroyed = true;
      live?.end();
    },
  };
  bun
    .connect({
      unix: path,
      socket: {
        open: (socket) => {
          live = socket;
          if (destroyed) socket.end();
          else events.open(wrapper);
        },
        data: (_socket, chunk) => events.data(Buffer.from(chunk)),
        close: () => events.close(),
        error: (_socket, error) => fail(error),
        connectError: (_socket, error) => fail(error),
      },
    })
    .catch(fail);
  return wrapper;
}

async function connectWithNode(path: string, events: SocketEvents): Promise<UnixSocket> {
  const { createConnection } = await import('node:net');
  const socket = createConnection({ path });
  const wrapper: UnixSocket = {
    write: (data) => {
      socket.write(data);
    },
    destroy: () => {
      socket.destroy();
    },
  };
  socket.on('connect', () => events.open(wrapper));
  socket.on('data', (chunk: Buffer) => events.data(chunk));
  socket.on('error', (error: NodeJS.ErrnoException) => events.error(error.code, error.message));
  socket.on('close', () => events.close());
  return wrapper;
}

const bunRuntime = () => (globalThis as { Bun?: BunRuntime }).Bun;

/**
 * Whether a failure to connect to `path` proves nothing: under Bun, some Linux abstract sockets (a leading NUL)
 * cannot be reached although they exist (seen with sockets made by Node and Python; dbus-daemon's work).
 */
export function unreliableTarget(path: string): boolean {
  return path.startsWith('\0') && bunRuntime() !== undefined;
}

export async function connectUnixSocket(path: string, events: SocketEvents): Promise<UnixSocket> {
  const bun = bunRuntime();
  return bun ? connectWithBun(bun, path, events) : connectWithNode(path, events);
}

/** One side of a conversation with one outcome; the handlers that return T end it with that result. */
export interface Conversation<T> {
  /** Connected: say the first thing. `socket` stays usable until the conversation ends. */
  open(socket: UnixSocket): void;
  data(chunk: Buffer): void;
  error(code: string | undefined, message: string): T;
  close(): T;
  /** The deadline passed. */
  timeout(): T;
}

/**
 * Talks over the unix socket at `path` until the first outcome: `end(result)` called by the conversation,
 * a socket error, the peer closing, or the deadline. Then the socket is closed and nothing more is heard.
 */
export function converseOverUnixSocket<T>(
  path: string,
  timeoutMs: number,
  conversation: (end: (result: T) => void) => Conversation<T>,
): Promise<T> {
  return new Promise((resolve) => {
    let socket: UnixSocket | undefined;
    let settled = false;
    const end = (result: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket?.destroy();
      resolve(result);
    };
    const talk = conversation(end);
    const timer = setTimeout(() => end(talk.timeout()), timeoutMs);
    void connectUnixSocket(path, {
      open: (opened) => {
        socket = opened;
        talk.open(opened);
      },
      data: (chunk) => {
        if (!settled) talk.data(chunk);
      },
      error: (code, message) => end(talk.error(code, message)),
      close: () => end(talk.close()),
    }).then((opened) => {
      socket = opened;
      if (settled) opened.destroy();
    });
  });
}
