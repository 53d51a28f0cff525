// Run a child process to completion with a hard timeout: never hangs a test.
// Every child is tracked so that a test process that dies early still kills what it started.
import { spawn, type ChildProcess } from 'node:child_process';

export interface RunOptions {
  env: NodeJS.ProcessEnv;
  stdin?: string | Buffer;
  cwd?: string;
  timeoutMs?: number;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live)
    if (child.pid !== undefined && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
});

/** Remember a long-running child (a registry, a bus) so it is killed if the test process exits. */
export function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Spawn without waiting; stdin is written and closed. The caller must wait or kill. */
export function start(
  cmd: string,
  args: string[],
  opts: RunOptions,
): { child: ChildProcess; done: Promise<RunResult> } {
  const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    stdout += c;
  });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  child.stdin!.on('error', () => {
    /* EPIPE when the child exits before reading everything */
  });
  child.stdin!.end(opts.stdin ?? '');
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 15_000);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  return { child, done };
}

export function run(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  return start(cmd, args, opts).done;
}

/** Run and throw (with all output) unless the command exits 0. For harness steps, not for assertions. */
export async function runOk(cmd: string, args: string[], opts: RunOptions): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} failed (code ${r.code}, signal ${r.signal}${r.timedOut ? ', timed out' : ''})\n` +
        `stdout: ${r.stdout}\nstderr: ${r.stderr}`,
    );
  }
  return r;
}

/** A run and how long it took, spawn to exit: for the tests that hold a failure to its stated deadline. */
export async function timed(action: () => Promise<RunResult>): Promise<{ r: RunResult; ms: number }> {
  const started = Date.now();
  const r = await action();
  return { r, ms: Date.now() - started };
}

export function describe(r: RunResult): string {
  const status = `code=${r.code} signal=${r.signal}${r.timedOut ? ' TIMED OUT' : ''}`;
  return `${status}\nstdout: ${JSON.stringify(r.stdout)}\nstderr: ${JSON.stringify(r.stderr)}`;
}
