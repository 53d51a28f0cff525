// Running the native front and lanyard side by side, byte for byte: front-parity.test.ts and front-faults.test.ts.
// `argv0` is given to both: lanyard names itself (and enters kubelet mode) by argv[0], which the front hands on.
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN } from './paths.js';
import { track } from './run.js';

export interface ByteResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
  ms: number;
  timedOut: boolean;
}

/** stdin: bytes through a pipe, an open file descriptor (a file, positioned), or /dev/null. */
export type Stdin = { bytes: Buffer } | { fd: number } | 'devnull';

export interface ByteRun {
  env: NodeJS.ProcessEnv;
  argv0?: string;
  stdin: Stdin;
  timeoutMs?: number;
}

export function runBytes(file: string, args: string[], options: ByteRun): Promise<ByteResult> {
  const { stdin } = options;
  const input = stdin === 'devnull' ? 'ignore' : 'bytes' in stdin ? 'pipe' : stdin.fd;
  const started = performance.now();
  const child = spawn(file, args, {
    env: options.env,
    argv0: options.argv0 ?? BIN,
    stdio: [input, 'pipe', 'pipe'],
  });
  track(child);
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
  if (typeof stdin === 'object' && 'bytes' in stdin) {
    child.stdin?.on('error', () => {}); // EPIPE: a program that stops reading at its limit
    child.stdin?.end(stdin.bytes);
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 20_000);
  return new Promise((resolve, reject) => {
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      resolve({ code, signal, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr), ms, timedOut });
    });
  });
}

/** The front alone in a directory of its own, no lanyard beside it: whatever it does not answer says so. */
export function loneFront(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lanyard-lone-front-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const front = join(dir, 'docker-credential-lanyard');
  copyFileSync(BIN, front);
  return front;
}

/** The front's line when it falls back and finds no lanyard beside it. */
export const NO_LANYARD =
  /^docker-credential-lanyard \(front [^)]*\): cannot run \S*lanyard \(no such file or directory\)/;

export const show = (r: ByteResult) =>
  `exit ${r.code ?? r.signal}${r.timedOut ? ' (timed out)' : ''} after ${r.ms.toFixed(0)} ms\n` +
  `  stdout: ${JSON.stringify(r.stdout.toString('latin1').slice(0, 300))}\n` +
  `  stderr: ${JSON.stringify(r.stderr.toString('latin1').slice(0, 300))}`;
