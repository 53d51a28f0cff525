// Where this process's log lines go: set once by the entry point from its configuration and read by log.ts. A
// module of its own, importing nothing, so that setting it costs `get`'s agent path nothing: that path never logs.
import type { Config } from './config.js';

export interface LogSettings {
  logDir: string;
  toStderr: boolean;
  debug: boolean;
}

let settings: LogSettings | undefined;

/** The entry point's call: this process logs to the configuration's log dir (and stderr, if it says so). */
export function startLog(config: Config): void {
  settings = { logDir: config.paths.logDir, toStderr: config.logToStderr, debug: config.debug };
}

/** The settings; undefined until the entry point started the log (then nothing is logged). */
export const logSettings = (): LogSettings | undefined => settings;
