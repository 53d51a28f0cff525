// A throwaway home for the scripts that run the binary (the demo and the benchmarks): every lanyard and XDG
// path under one temp folder, so the user's own keyring files, mapping and tokens are never touched.
import { spawn } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface Sandbox {
  root: string;
  /** HOME and the XDG base directories under `root`; the runtime dir exists, 0700 as a session's is. */
  env: {
    HOME: string;
    XDG_CONFIG_HOME: string;
    XDG_DATA_HOME: string;
    XDG_STATE_HOME: string;
    XDG_CACHE_HOME: string;
    XDG_RUNTIME_DIR: string;
  };
}

export function makeSandbox(label: string): Sandbox {
  const root = mkdtempSync(join(tmpdir(), `lanyard-${label}-`));
  const env = {
    HOME: join(root, 'home'),
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_DATA_HOME: join(root, 'data'),
    XDG_STATE_HOME: join(root, 'state'),
    XDG_CACHE_HOME: join(root, 'cache'),
    XDG_RUNTIME_DIR: join(root, 'run'),
    // A daemon started on demand would outlive the sandbox it serves (and its deleted folders) by half an hour.
    LANYARD_AGENT_AUTOSTART: '0',
  };
  mkdirSync(env.XDG_RUNTIME_DIR, { mode: 0o700 });
  return { root, env };
}

/**
 * A private copy of the built pair (the front, docker-credential-lanyard, and the lanyard it runs), returning the
 * front: a rebuild of dist-bin during a run would fail spawns with ETXTBSY.
 */
export function binaryCopy(sandbox: Sandbox): string {
  for (const name of ['lanyard', 'docker-credential-lanyard']) {
    copyFileSync(resolve('dist-bin', name), join(sandbox.root, name));
    chmodSync(join(sandbox.root, name), 0o755);
  }
  return join(sandbox.root, 'docker-credential-lanyard');
}

export interface Finished {
  code: number;
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs a command with `input` on stdin. Asynchronous on purpose: the stand-ins answer from this very process. */
export function runCommand(command: string, args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<Finished> {
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    child.on('error', fail);
    child.on('close', (code) => done({ code: code ?? 1, ms: performance.now() - started, stdout, stderr }));
    child.stdin.end(input);
  });
}
