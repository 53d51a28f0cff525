// Run the compiled docker-credential-lanyard binary, plus thin wrappers for the protocol verbs.
import { existsSync } from 'node:fs';
import { BIN } from './paths.js';
import { run, start, type RunResult } from './run.js';

export interface HelperOptions {
  env: NodeJS.ProcessEnv;
  stdin?: string | Buffer;
  cwd?: string;
  timeoutMs?: number;
}

export interface Creds {
  ServerURL: string;
  Username: string;
  Secret: string;
}

function requireBin(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} does not exist: run \`npm run build\` (scripts/test.sh does)`);
}

export function runHelper(args: string[], opts: HelperOptions): Promise<RunResult> {
  requireBin();
  return run(BIN, args, { env: opts.env, stdin: opts.stdin ?? '', cwd: opts.cwd, timeoutMs: opts.timeoutMs ?? 10_000 });
}

/** Start the binary without waiting (for kill -9 tests). */
export function startHelper(args: string[], opts: HelperOptions) {
  requireBin();
  return start(BIN, args, { env: opts.env, stdin: opts.stdin ?? '', timeoutMs: opts.timeoutMs ?? 10_000 });
}

export const store = (env: NodeJS.ProcessEnv, c: Creds) => runHelper(['store'], { env, stdin: JSON.stringify(c) });
export const get = (env: NodeJS.ProcessEnv, url: string) => runHelper(['get'], { env, stdin: url });
export const erase = (env: NodeJS.ProcessEnv, url: string) => runHelper(['erase'], { env, stdin: url });
export const list = (env: NodeJS.ProcessEnv) => runHelper(['list'], { env, stdin: 'unused' });

/** `list`, parsed; throws with the output when it is not a JSON object of strings. */
export async function listParsed(env: NodeJS.ProcessEnv): Promise<Record<string, string>> {
  const r = await list(env);
  if (r.code !== 0)
    throw new Error(
      `list failed: code ${r.code} stdout ${JSON.stringify(r.stdout)} stderr ${JSON.stringify(r.stderr)}`,
    );
  const parsed: unknown = JSON.parse(r.stdout);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`list is not a JSON object: ${r.stdout}`);
  return parsed as Record<string, string>;
}

/** Management: `login SERVER -u USER [extra] --password-stdin` with the password on stdin. */
export const login = (env: NodeJS.ProcessEnv, server: string, user: string, password: string, extra: string[] = []) =>
  runHelper(['login', server, '-u', user, ...extra, '--password-stdin'], { env, stdin: password });

export const NOT_FOUND = 'credentials not found in native keychain';
