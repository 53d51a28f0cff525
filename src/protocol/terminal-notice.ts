// When `get` fails, the docker CLI drops the helper's stdout (where the protocol puts the error)
// and pulls anonymously, so the person at the keyboard would see only a bare `unauthorized`. A real
// failure is therefore also written to the controlling terminal, when there is one (none in CI or
// under systemd). Not to stderr: clients pass it through, and a terminal user would read it twice.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import type { Config } from '../config.js';

export function tellTerminal(config: Config, line: string): void {
  if (!config.terminalNotice) return;
  let fd: number | undefined;
  try {
    // Non-blocking, and without becoming the process's controlling terminal: a stopped or
    // full terminal must not hold up the pull.
    fd = openSync('/dev/tty', constants.O_WRONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    writeSync(fd, `${line}\n`);
  } catch {
    // No terminal (ENXIO), or it would block: the answer on stdout and the log still say it.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
