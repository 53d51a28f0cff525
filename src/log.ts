// A small logger that appends to a file in the log dir, never to the terminal
// (stderr lands in the middle of a user's `docker pull`). Every line passes through
// redaction: registered secrets, JWT-shaped strings and Docker PATs are masked.
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensurePrivateDir } from './fsutil/atomic-write.js';
import { paths } from './paths.js';
import { writeErr } from './output.js';

const knownSecrets = new Set<string>();
const PATTERNS = [/eyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g, /dckr_(?:pat|oat)_[\w-]+/g, /sha256~[\w-]{20,}/g];

let debugEnabled = process.env.LANYARD_DEBUG === '1';

export function enableDebug(): void {
  debugEnabled = true;
}

/** Values that must never be written, whatever line they turn up in. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) knownSecrets.add(value);
}

export function redact(text: string): string {
  let result = text;
  for (const secret of knownSecrets) result = result.split(secret).join('[redacted]');
  for (const pattern of PATTERNS) result = result.replace(pattern, '[redacted]');
  return result;
}

const logFile = () => join(paths.logDir, 'lanyard.log');

function write(level: string, message: string): void {
  const line = `${new Date().toISOString()} ${level} [${process.env.LANYARD_ROLE ?? 'helper'} ${process.pid}] ${redact(message)}\n`;
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
  debug: (message: string) => { if (debugEnabled) write('DEBUG', message); },
  info: (message: string) => write('INFO', message),
  warn: (message: string) => write('WARN', message),
  error: (message: string) => write('ERROR', message),
};
