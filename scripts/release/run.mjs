// Child processes for the release, run asynchronously so that Ctrl-C or SIGTERM reaches
// the release's handler at once (spawnSync would hold the signal until the whole release
// had finished), and tracked so the handler can stop the one that is running.
import { spawn } from 'node:child_process';

const running = new Set();

/** Runs a command to completion; never rejects: spawn errors come back as `error`. */
export function run(command, args, { input = '', cwd, env, timeout } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    running.add(child);
    let stdout = '',
      stderr = '',
      timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = timeout
      ? setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeout)
      : undefined;
    const done = (result) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ stdout, stderr, timedOut, ...result });
    };
    child.on('error', (error) => done({ error }));
    child.on('close', (status, signal) => done({ status, signal }));
    child.stdin.on('error', () => {}); // a child that exits without reading its input
    child.stdin.end(input);
  });
}

/** Describes how a finished command failed, for error messages. */
export const exitText = (r) =>
  r.error ? r.error.message : r.timedOut ? 'timed out' : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;

export function stopRunning(signal = 'SIGTERM') {
  for (const child of running) child.kill(signal);
}
