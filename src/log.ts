// A small logger that appends to a file in the log dir, never to the terminal
// (stderr lands in the middle of a user's `docker pull`). Every message passes through
// foreignText: registered secrets, JWT-shaped strings and Docker PATs are masked, and
// it stays one bounded line whatever a service put into it.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { foreignText } from './foreign-text.js';
import { ensurePrivateDir } from './fsutil/atomic-write.js';
import { logSettings } from './log-settings.js';
import { processRole } from './process-role.js';
import { writeErr } from './output.js';

// Our own messages are short; this only stops a runaway one from flooding the log.
const MAX_MESSAGE_CHARS = 2000;

/** `daemon --verbose`; LANYARD_DEBUG=1 does the same for any process. */
export function enableDebug(): void {
  const settings = logSettings();
  if (settings) settings.debug = true;
}

const fileIn = (logDir: string) => join(logDir, 'lanyard.log');
const logFile = () => {
  const settings = logSettings();
  return settings ? fileIn(settings.logDir) : undefined;
};

function write(level: string, message: string): void {
  const settings = logSettings();
  if (!settings) return;
  const who = `${processRole()} ${process.pid}`;
  const line = `${new Date().toISOString()} ${level} [${who}] ${foreignText(message, MAX_MESSAGE_CHARS)}\n`;
  try {
    ensurePrivateDir(settings.logDir);
    appendFileSync(fileIn(settings.logDir), line, { mode: 0o600 });
  } catch {
    // Logging must never break a credential lookup.
  }
  if (settings.toStderr) writeErr(line);
}

export const log = {
  file: logFile,
  debug: (message: string) => {
    if (logSettings()?.debug) write('DEBUG', message);
  },
  info: (message: string) => write('INFO', message),
  warn: (message: string) => write('WARN', message),
  error: (message: string) => write('ERROR', message),
};
