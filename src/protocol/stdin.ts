// Reads a protocol request from stdin: bounded in size and strictly UTF-8, so a
// runaway or binary payload is refused with one line instead of eating memory or
// being stored mangled.
import { fstatSync, readSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';

export const MAX_INPUT_BYTES = 1024 * 1024;

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));

function readChunk(buffer: Buffer): number {
  for (;;) {
    try {
      return readSync(0, buffer, 0, buffer.length, null);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EOF') return 0;
      // A non-blocking stdin (some pipes, terminals) has no data yet: wait briefly, retry.
      if (code === 'EAGAIN') {
        Atomics.wait(sleepBuffer, 0, 0, 5);
        continue;
      }
      if (code === 'EBADF' || code === 'EINVAL') return 0; // stdin closed or absent
      throw error;
    }
  }
}

/**
 * Whether stdin is a terminal, without node:tty (loading it costs ~11 ms of CPU in the binary, on every
 * `get`): a terminal is a character device, and the one other character device a client hands over is
 * /dev/null (`get < /dev/null`, a closed stdin). Any other is refused like a terminal: none carries a request.
 */
function stdinIsTerminal(): boolean {
  let stdin: ReturnType<typeof fstatSync>;
  try {
    stdin = fstatSync(0);
  } catch {
    return false; // no stdin at all: read as empty below
  }
  if (!stdin.isCharacterDevice()) return false;
  try {
    return stdin.rdev !== statSync('/dev/null').rdev;
  } catch {
    return true; // no /dev/null (Windows): a character device there is the console
  }
}

export function readStdin(limit = MAX_INPUT_BYTES): string {
  // A person typing the verb by hand would otherwise face a silent wait.
  if (stdinIsTerminal())
    throw new UserError(
      'this reads its input on stdin; pipe it in, e.g. echo us.icr.io | docker-credential-lanyard get',
    );
  const chunks: Buffer[] = [];
  let total = 0;
  const buffer = Buffer.allocUnsafe(64 * 1024);
  for (;;) {
    const n = readChunk(buffer);
    if (n === 0) break;
    total += n;
    if (total > limit) throw new UserError(`input on stdin is larger than the ${limit / 1024 / 1024} MiB limit`);
    chunks.push(Buffer.from(buffer.subarray(0, n)));
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new UserError('input on stdin is not valid UTF-8');
  }
}

let request: { text: string } | { failure: unknown } | undefined;

/** `readStdin`, once per process: `get` reads the request for the agent path, then (if need be) for the core. */
export function readStdinOnce(): string {
  if (request === undefined) {
    try {
      request = { text: readStdin() };
    } catch (failure) {
      request = { failure };
    }
  }
  if ('failure' in request) throw request.failure;
  return request.text;
}
