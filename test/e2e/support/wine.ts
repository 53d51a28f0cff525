// The windows-x64 release exe under Wine, for the Windows lane. One private WINEPREFIX per test file, under a
// temp dir, with one wineserver that this file starts (persistent, so each exe run does not start its own) and
// stops by its PID at the end: nothing is left running.
//
// Wine 8 (Debian 12) has no bcryptprimitives.dll, whose ProcessPrng Bun's Windows runtime calls at start-up
// (Windows 10 and later have it): test/fixtures/wine/processprng.c is built with MinGW into the prefix.
// The exe comes from $LANYARD_RELEASE_DIR (CI's release) or is built here with the release script.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from './paths.js';
import { run, runOk, type RunResult } from './run.js';

export const onPath = (command: string) =>
  (process.env.PATH ?? '').split(delimiter).some((dir) => dir && existsSync(join(dir, command)));

/** Why the Wine lane cannot run here, or undefined when it can. */
export function wineMissing(): string | undefined {
  const absent = ['wine', 'wineserver'].filter((command) => !onPath(command));
  return absent.length
    ? `${absent.join(' and ')} not on PATH (install Debian's wine and wine64; scripts/install-deps.sh does)`
    : undefined;
}

const EXE_PATTERN = /^docker-credential-lanyard-.*-windows-x64\.exe$/;

/** The release's windows-x64 exe: from $LANYARD_RELEASE_DIR when set, else built into `workDir`. */
export async function windowsExe(workDir: string): Promise<string> {
  const given = process.env.LANYARD_RELEASE_DIR;
  const dir = given || join(workDir, 'release');
  if (!given)
    await runOk(
      process.execPath,
      [join(REPO_ROOT, 'scripts', 'release.mjs'), '--targets', 'windows-x64', '--out', dir, '--no-install'],
      { env: process.env, cwd: REPO_ROOT, timeoutMs: 600_000 },
    );
  const exe = readdirSync(dir).find((name) => EXE_PATTERN.test(name));
  if (!exe) throw new Error(`no windows-x64 exe in ${dir}${given ? ' (LANYARD_RELEASE_DIR)' : ''}`);
  return join(dir, exe);
}

export interface WinePrefix {
  env: NodeJS.ProcessEnv;
  /** A Linux path inside the prefix's C: drive (drive_c/…). */
  driveC(...parts: string[]): string;
  /** `exe args…` under Wine, with `extraEnv` added to the Windows process's environment. */
  run(exe: string, args: string[], options?: { stdin?: string; env?: NodeJS.ProcessEnv }): Promise<RunResult>;
  stop(): Promise<void>;
}

/** A fresh prefix in `dir`, booted, with the ProcessPrng shim in its system32. */
export async function startWinePrefix(dir: string): Promise<WinePrefix> {
  const prefix = join(dir, 'prefix');
  mkdirSync(prefix, { recursive: true }); // wineserver will not start in a prefix that does not exist yet
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: dir,
    LANG: 'C.UTF-8',
    WINEPREFIX: prefix,
    WINEDEBUG: '-all',
    // No Mono/Gecko installers at boot; our bcryptprimitives before any built-in one (later Wines have it).
    WINEDLLOVERRIDES: 'mscoree,mshtml=;bcryptprimitives=n,b',
  };
  const shim = join(dir, 'bcryptprimitives.dll');
  const source = join(REPO_ROOT, 'test', 'fixtures', 'wine', 'processprng.c');
  const gcc = spawnSync('x86_64-w64-mingw32-gcc', ['-shared', '-O2', '-o', shim, source, '-ladvapi32'], {
    encoding: 'utf8',
  });
  if (gcc.status !== 0)
    throw new Error(
      `cannot build the ProcessPrng shim (install gcc-mingw-w64-x86-64-win32): ${gcc.error?.message ?? gcc.stderr}`,
    );

  // -f: stays in the foreground, so its PID is ours to stop; -p: persistent, shared by every exe run.
  const server: ChildProcess = spawn('wineserver', ['-f', '-p'], { env, stdio: 'ignore' });
  const serverExit = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  // `wineserver -k` ends the prefix's services (winedevice.exe…) with the server; killing the server alone
  // would orphan them. Also when this test process is ended early.
  const killSync = () => {
    spawnSync('wineserver', ['-k'], { env, stdio: 'ignore', timeout: 20_000 });
    if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
  };
  const onSignal = (signal: NodeJS.Signals) => {
    killSync();
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', killSync);
  process.once('SIGTERM', onSignal).once('SIGINT', onSignal);
  const stop = async () => {
    await run('wineserver', ['-k'], { env, timeoutMs: 20_000 }).catch(() => undefined);
    const stopped = await Promise.race([serverExit.then(() => true), sleep(5000).then(() => false)]);
    if (!stopped) server.kill('SIGKILL');
    process.off('exit', killSync).off('SIGTERM', onSignal).off('SIGINT', onSignal);
  };
  try {
    await boot(env);
    copyFileSync(shim, join(prefix, 'drive_c', 'windows', 'system32', 'bcryptprimitives.dll'));
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    env,
    driveC: (...parts) => join(prefix, 'drive_c', ...parts),
    run: (exe, args, options = {}) =>
      run('wine', [exe, ...args], { env: { ...env, ...options.env }, stdin: options.stdin, timeoutMs: 60_000 }),
    stop,
  };
}

/**
 * `wineboot -i` with its output discarded: the services it starts (winedevice.exe) inherit its stdio and
 * outlive it, so waiting for its pipes to close would wait until the server stops.
 */
function boot(env: NodeJS.ProcessEnv): Promise<void> {
  const child = spawn('wine', ['wineboot', '-i'], { env, stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
    child.once('error', (error) => reject(new Error(`cannot run wine: ${error.message}`)));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`wine wineboot -i failed (code ${code}, signal ${signal})`));
    });
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
