// Writing to stdout/stderr. Synchronous fs writes, not process.stdout: under Bun,
// touching process.stdout sets up a stream that costs ~7 ms per process (measured:
// 12.9 ms vs 5.5 ms for a one-line program), paid on every pull.
import { writeSync } from 'node:fs';

const sleepBuffer = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd: number, text: string): void {
  let buffer = Buffer.from(text, 'utf8');
  while (buffer.length > 0) {
    try {
      buffer = buffer.subarray(writeSync(fd, buffer));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        Atomics.wait(sleepBuffer, 0, 0, 2);
        continue;
      } // non-blocking pipe is full
      if (code === 'EPIPE') return; // the reader went away: nothing left to tell it
      throw error;
    }
  }
}

export const writeOut = (text: string) => writeAll(1, text);
export const writeErr = (text: string) => writeAll(2, text);
