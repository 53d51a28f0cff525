// Where lanyard keeps things, per platform conventions (env-paths: XDG on Linux,
// ~/Library on macOS, %APPDATA% on Windows).
import envPaths from 'env-paths';
import { join } from 'node:path';

const base = envPaths('lanyard', { suffix: '' });

export const paths = {
  /** Non-secret mapping of servers to secrets. */
  mappingFile: join(base.config, 'mapping.json'),
  /** The headless file store (0600). */
  secretsFile: join(base.data, 'secrets.json'),
  /** Short-lived tokens and the daemon socket: a tmpfs that dies at logout where the OS has one. */
  runtimeDir: process.env.XDG_RUNTIME_DIR ? join(process.env.XDG_RUNTIME_DIR, 'lanyard') : join(base.cache, 'run'),
  logDir: base.log,
};

export const lockPathFor = (file: string) => `${file}.lock`;
