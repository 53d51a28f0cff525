// A small logger that appends to a file in the log dir, never to the terminal
// (stderr lands in the middle of a user's `docker pull`). Every message passes through
// foreignText: registered secrets, JWT-shaped strings and Docker PATs are masked, and
// it stays one bounded line whatever a service put into it.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { foreignText } from './foreign-text.js';
import { ensurePrivateDir } from './fsutil/atomic-write.js';
import type { Config } from './config.js';
import { processRole } from './process-role.js';
import { writeErr } from './output.js';

// Our own messages are short; this only stops a runaway one from flooding the log.
const MAX_MESSAGE_CHARS = 2000;

/** Where lines go: set once by the entry point from its configuration; until then nothing is logged. */
let settings: { logDir: string; toStderr: boolean; debug: boolean } | undefined;

/** The entry point's call: this process logs to the configuration's log dir (and stderr, if it says so). */
export function startLog(config: Config): void {
  settings = { logDir: config.paths.logDir, toStderr: config.logToStderr, debug: config.debug };
}

/** `daemon --verbose`; LANYARD_DEBUG=1 does the same for any process. */
export function enableDebug(): void {
  if (settings) settings.debug = true;
}

const logFile = () => (settings ? join(settings.logDir, 'lanyard.log') : undefined);

function write(level: string, message: string): void {
  if (!settings) return;
  const who = `${processRole()} ${process.pid}`;
  const line = `${new Date().toISOString()} ${level} [${who}] ${foreignText(message, MAX_MESSAGE_CHARS)}\n`;
  try {
    ensurePrivateDir(settings.logDir);
    appendFileSync(join(settings.logDir, 'lanyard.log'), line, { mode: 0o600 });
  } catch {
    // Logging must never break a credential lookup.
  }
  if (settings.toStderr) writeErr(line);
}

export const log = {
  file: logFile,
  debug: (message: string) => {
    if (settings?.debug) write('DEBUG', message);
  },
  info: (message: string) => write('INFO', message),
  warn: (message: string) => write('WARN', message),
  error: (message: string) => write('ERROR', message),
};
