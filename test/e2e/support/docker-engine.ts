// A real Docker Engine for one test file: Debian's dockerd (docker.io) with the containerd it starts
// itself, fully private — vfs storage (no overlay mounts), no iptables, no bridge, and its data root,
// exec root, socket, PID file, config file and trust key in a short directory of its own (a unix socket
// path must stay under 108 bytes, so not inside a sandbox). 127.0.0.0/8 registries are insecure by default
// for the engine, so it talks plain HTTP to the test registries.
//
// dockerd needs root (CI runs as root): without it, or without dockerd installed, start fails with the
// reason, so the test file fails loudly instead of skipping. Stopped by the PID we started; `stop` reports
// every process of this engine (found by its unique directory in their command line) that outlived it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { run, runOk } from './run.js';
import type { Sandbox } from './sandbox.js';
import { writeDockerConfig } from './client-config.js';

export const DOCKERD = '/usr/sbin/dockerd';

export interface EngineStop {
  /** dockerd ignored SIGTERM for the grace period and was killed. */
  killed: boolean;
  /** PIDs (with their command lines) of this engine's processes still alive after dockerd exited. */
  leftovers: string[];
}

export interface DockerEngine {
  /** For DOCKER_HOST. */
  host: string;
  pid: number;
  /** Stops the engine (idempotent) and removes its directory; says what did not end by itself. */
  stop(): Promise<EngineStop>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The HTTP status of `GET /_ping` on the engine's API socket; null while it does not answer. */
function ping(socketPath: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume().on('end', () => resolve(res.statusCode ?? null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
  });
}

/** Live (not zombie) processes whose command line mentions `marker`, as "PID cmdline". */
function processesMentioning(marker: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const state = readFileSync(`/proc/${name}/stat`, 'utf8').replace(/^.*\) /, '')[0];
      if (cmdline.includes(marker) && state !== 'Z') found.push(`${name} ${cmdline}`);
    } catch {
      /* exited while we looked */
    }
  }
  return found;
}

function isMounted(path: string): boolean {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((line) => line.split(' ')[4] === path);
}

/** Why this machine cannot run the engine, or undefined. */
function engineProblem(): string | undefined {
  if (!existsSync(DOCKERD)) return `${DOCKERD} is not installed: scripts/install-deps.sh installs Debian's docker.io`;
  const uid = process.getuid?.();
  if (uid !== 0) return `dockerd needs root and this test runs as uid ${uid}: run it as root, as CI does`;
  return undefined;
}

export async function startDockerEngine(label: string): Promise<DockerEngine> {
  const problem = engineProblem();
  if (problem) throw new Error(`cannot start a Docker Engine: ${problem}`);
  // /tmp, not $TMPDIR: containerd's sockets live under the exec root and must stay short.
  const dir = mkdtempSync(`/tmp/lanyard-dkr-${label.slice(0, 12)}-`);
  const dataRoot = join(dir, 'data');
  const socket = join(dir, 'd.sock');
  const logFile = join(dir, 'dockerd.log');
  const configFile = join(dir, 'daemon.json');
  // Neither /etc/docker/daemon.json nor /etc/docker/key.json: everything of this engine stays in `dir`.
  writeFileSync(configFile, JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }));
  const args = [
    '--config-file',
    configFile,
    '--storage-driver',
    'vfs',
    '--iptables=false',
    '--bridge=none',
    '--data-root',
    dataRoot,
    '--exec-root',
    join(dir, 'exec'),
    '--pidfile',
    join(dir, 'dockerd.pid'),
    '-H',
    `unix://${socket}`,
  ];
  const fd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(DOCKERD, args, { stdio: ['ignore', fd, fd], env: { PATH: process.env.PATH } });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  const running = () => child.pid !== undefined && child.exitCode === null && child.signalCode === null;
  const signal = (name: NodeJS.Signals) => {
    try {
      if (running()) process.kill(child.pid!, name);
    } catch {
      /* gone */
    }
  };
  const removeDir = () => {
    // A hard-killed dockerd leaves its data root bind-mounted on itself.
    if (isMounted(dataRoot)) spawnSync('umount', ['-l', dataRoot]);
    if (process.env.LANYARD_E2E_KEEP) console.error(`[e2e] keeping the engine's directory ${dir} (dockerd.log)`);
    else rmSync(dir, { recursive: true, force: true });
  };
  // A test process that ends without stop(): kill (its containerd dies with it) and clean up.
  const onExit = () => {
    signal('SIGKILL');
    removeDir();
  };
  process.once('exit', onExit);

  let stopped: EngineStop | undefined;
  const stop = async (): Promise<EngineStop> => {
    if (stopped) return stopped;
    process.removeListener('exit', onExit);
    let killed = false;
    signal('SIGTERM');
    const timer = setTimeout(() => {
      killed = true;
      signal('SIGKILL');
    }, 20_000);
    await exited;
    clearTimeout(timer);
    // containerd is told to stop by dockerd; give it a moment, then end whatever is left, by PID.
    let leftovers = processesMentioning(dir);
    for (let i = 0; i < 50 && leftovers.length; i++) {
      await sleep(100);
      leftovers = processesMentioning(dir);
    }
    for (const line of leftovers) {
      try {
        process.kill(Number(line.split(' ')[0]), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    removeDir();
    stopped = { killed, leftovers };
    return stopped;
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (running() && (await ping(socket)) === 200) break;
    if (!running() || Date.now() > deadline) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-4000) : '';
      await stop();
      const what = running() ? 'answer within 60 s' : `start (exit ${child.exitCode})`;
      throw new Error(`dockerd did not ${what}:\n${log}`);
    }
    await sleep(200);
  }
  return { host: `unix://${socket}`, pid: child.pid!, stop };
}

/**
 * The environment for the docker CLI (and so for the helper it runs) against `engine`, with a config.json
 * in the sandbox whose credHelpers route `hosts` to lanyard; `extra` is added (LANYARD_STORE, …).
 */
export function dockerClientEnv(
  sb: Sandbox,
  engine: DockerEngine,
  hosts: string[],
  extra: NodeJS.ProcessEnv = {},
): { env: NodeJS.ProcessEnv; config: string } {
  const dir = sb.dir('docker-config');
  const config = writeDockerConfig(dir, hosts);
  return { config, env: { ...sb.env, ...extra, DOCKER_CONFIG: dir, DOCKER_HOST: engine.host } };
}

/** The docker CLI against an engine: `env` must carry DOCKER_HOST (and DOCKER_CONFIG for credHelpers). */
export const dockerCli = (env: NodeJS.ProcessEnv, args: string[], opts: { stdin?: string; cli?: string } = {}) =>
  run(opts.cli ?? 'docker', args, { env, stdin: opts.stdin, timeoutMs: 60_000 });

/** The client and server versions, e.g. "client 28.2.2 (API 1.41), server 20.10.24+dfsg1". */
export async function dockerVersions(env: NodeJS.ProcessEnv, cli = 'docker'): Promise<string> {
  const format = 'client {{.Client.Version}} (API {{.Client.APIVersion}}), server {{.Server.Version}}';
  const r = await runOk(cli, ['version', '--format', format], { env });
  return r.stdout.trim();
}

/**
 * Imports a one-file image (random content, a few bytes: vfs copies every layer) into the engine as
 * `ref` with `docker import`; returns its image ID. Nothing is downloaded.
 */
export async function importTinyImage(env: NodeJS.ProcessEnv, workDir: string, ref: string): Promise<string> {
  const rootfs = join(workDir, 'rootfs');
  mkdirSync(rootfs, { recursive: true });
  writeFileSync(join(rootfs, 'hello.txt'), `lanyard engine e2e ${randomBytes(8).toString('hex')}\n`);
  const tarball = join(workDir, 'rootfs.tar');
  await runOk('tar', ['-C', rootfs, '-cf', tarball, '.'], { env });
  await runOk('docker', ['import', tarball, ref], { env, timeoutMs: 60_000 });
  return imageId(env, ref);
}

/** The engine's image ID for `ref`, or '' when it has no such image. */
export async function imageId(env: NodeJS.ProcessEnv, ref: string): Promise<string> {
  const r = await run('docker', ['image', 'inspect', '--format', '{{.Id}}', ref], { env, timeoutMs: 30_000 });
  return r.code === 0 ? r.stdout.trim() : '';
}
