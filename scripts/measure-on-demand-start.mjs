#!/usr/bin/env node
// What starting the daemon on demand costs the `get` that starts it: runs, interleaved, a file-store `get` with no
// daemon running that starts one, and the same `get` with LANYARD_AGENT_AUTOSTART=0, and prints the medians of
// the whole get (spawn to exit, as a client sees it) and of its time after the answer was written (its own trace).
// Each run starts with no daemon: the one started is stopped by its PID. A throwaway HOME; nothing else is touched.
//   node scripts/measure-on-demand-start.mjs [binary] [runs]
// On a loaded machine the scheduler's delays swamp a few milliseconds: `chrt -f 10 node …` runs it (and what it
// starts) ahead of other work, as on an idle machine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const bin = resolve(process.argv[2] ?? 'dist-bin/docker-credential-lanyard');
const runs = Number(process.argv[3] ?? 40);
const root = mkdtempSync(join(tmpdir(), 'lanyard-on-demand-'));
const home = join(root, 'home');
const env = {
  PATH: process.env.PATH,
  HOME: home,
  XDG_CONFIG_HOME: join(home, '.config'),
  XDG_DATA_HOME: join(home, '.local', 'share'),
  XDG_STATE_HOME: join(home, '.local', 'state'),
  XDG_CACHE_HOME: join(home, '.cache'),
  XDG_RUNTIME_DIR: join(root, 'run'),
  LANYARD_STORE: 'file',
  LANYARD_TRACE: '1',
};
mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
const pidFile = join(env.XDG_RUNTIME_DIR, 'lanyard', 'daemon.pid');
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

function stopDaemon() {
  for (let i = 0; i < 200 && existsSync(pidFile); i++) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
    } catch {
      /* exiting */
    }
    sleep(50);
  }
}

const TRACE = /trace:\s+([\d.]+) ms .* cpu ([\d.]+) ms {2}(.*)$/;

function get(autostart) {
  const started = process.hrtime.bigint();
  const extra = autostart ? {} : { LANYARD_AGENT_AUTOSTART: '0' };
  const r = spawnSync(bin, ['get'], { input: 'measure.example.com', env: { ...env, ...extra } });
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  if (!r.stdout.toString().includes('"Secret"')) throw new Error(`get failed: ${r.stdout}${r.stderr}`);
  const lines = r.stderr
    .toString()
    .trim()
    .split('\n')
    .map((line) => TRACE.exec(line))
    .filter(Boolean);
  const written = lines.find((m) => m[3] === 'output written');
  const last = lines.at(-1);
  return { wallMs, afterMs: last[1] - written[1], afterCpuMs: last[2] - written[2] };
}

try {
  const login = JSON.stringify({ ServerURL: 'measure.example.com', Username: 'u', Secret: 'measure-secret' });
  const stored = spawnSync(bin, ['store'], { input: login, env });
  if (stored.status !== 0) throw new Error(`store failed: ${stored.stdout}${stored.stderr}`);
  const results = { starts: [], 'does not start': [] };
  for (let i = 0; i < runs; i++) {
    for (const mode of i % 2 ? ['starts', 'does not start'] : ['does not start', 'starts']) {
      stopDaemon();
      sleep(200);
      results[mode].push(get(mode === 'starts'));
      for (let k = 0; mode === 'starts' && k < 200 && !existsSync(pidFile); k++) sleep(25);
      if (mode === 'starts' && !existsSync(pidFile)) throw new Error('the get started no daemon');
    }
  }
  const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
  for (const [mode, rs] of Object.entries(results)) {
    const whole = median(rs.map((r) => r.wallMs)).toFixed(1);
    const after = median(rs.map((r) => r.afterMs)).toFixed(2);
    const cpu = median(rs.map((r) => r.afterCpuMs)).toFixed(2);
    console.log(
      `get that ${mode}: median ${whole} ms; after its answer: ${after} ms wall, ${cpu} ms CPU (${runs} runs)`,
    );
  }
} finally {
  stopDaemon();
  rmSync(root, { recursive: true, force: true });
}
