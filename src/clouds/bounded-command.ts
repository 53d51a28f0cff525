// Runs a cloud's own command-line tool (the Azure CLI) for a token: without a shell, stdin closed, with a
// deadline after which the process is killed by its PID, and with its output capped; the caller judges what it
// printed. Loaded only by the sources that need it.
import { spawn } from 'node:child_process';

export interface CommandRun {
  program: string;
  args: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  /** The process is killed (SIGKILL) when it has not exited by then. */
  timeoutMs: number;
  /** Bytes of stdout (and of stderr) kept; more and the process is killed. */
  maxBytes: number;
}

export type CommandOutcome =
  | { kind: 'missing' }
  | { kind: 'failed-to-start'; reason: string }
  | { kind: 'timed-out' }
  | { kind: 'too-large' }
  | { kind: 'exited'; code: number | null; stdout: string; stderr: string };

export function runBounded(run: CommandRun): Promise<CommandOutcome> {
  return new Promise((resolve) => {
    const child = spawn(run.program, [...run.args], {
      env: run.env,
      cwd: '/',
      stdio: ['ignore', 'pipe', 'pipe'],
      shell: false,
      windowsHide: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const sizes = { out: 0, err: 0 };
    let settled: CommandOutcome | undefined;
    const finish = (outcome: CommandOutcome) => {
      if (settled) return;
      settled = outcome;
      clearTimeout(timer);
      if (outcome.kind !== 'exited') child.kill('SIGKILL');
      resolve(outcome);
    };
    const timer = setTimeout(() => finish({ kind: 'timed-out' }), run.timeoutMs);
    const collect = (into: Buffer[], which: 'out' | 'err') => (chunk: Buffer) => {
      sizes[which] += chunk.length;
      if (sizes[which] > run.maxBytes) return finish({ kind: 'too-large' });
      into.push(chunk);
    };
    child.stdout.on('data', collect(out, 'out'));
    child.stderr.on('data', collect(err, 'err'));
    child.on('error', (error: NodeJS.ErrnoException) =>
      finish(error.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'failed-to-start', reason: error.message }),
    );
    child.on('close', (code) =>
      finish({
        kind: 'exited',
        code,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
      }),
    );
  });
}
