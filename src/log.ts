// A small logger that appends to a file in the log dir, never to the terminal
// (stderr lands in the middle of a user's `docker pull`). Every message passes through
// foreignText: registered secrets, JWT-shaped strings and Docker PATs are masked, and
// it stays one bounded line whatever a service put into it.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { foreignText } from './foreign-text.js';
import { ensurePrivateDir } from './fsutil/atomic-write.js';
import { paths } from './paths.js';
import { writeErr } from './output.js';

// Our own messages are short; this only stops a runaway one from flooding the log.
const MAX_MESSAGE_CHARS = 2000;

let debugEnabled = process.env.LANYARD_DEBUG === '1';

/** `daemon --verbose`; LANYARD_DEBUG=1 does the same for any process. */
export function enableDebug(): void {
  debugEnabled = true;
}

const logFile = () => join(paths.logDir, 'lanyard.log');

function write(level: string, message: string): void {
  const who = `${process.env.LANYARD_ROLE ?? 'helper'} ${process.pid}`;
  const line = `${new Date().toISOString()} ${level} [${who}] ${foreignText(message, MAX_MESSAGE_CHARS)}\n`;
  try {
    ensurePrivateDir(paths.logDir);
    appendFileSync(logFile(), line, { mode: 0o600 });
  } catch {
    // Logging must never break a credential lookup.
  }
  if (process.env.LANYARD_LOG_STDERR === '1') writeErr(line);
}

export const log = {
  file: logFile,
  debug: (message: string) => {
    if (debugEnabled) write('DEBUG', message);
  },
  info: (message: string) => write('INFO', message),
  warn: (message: string) => write('WARN', message),
  error: (message: string) => write('ERROR', message),
};
