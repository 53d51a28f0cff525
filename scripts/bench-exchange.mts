// Benchmarks of the exchange path (issue: token exchange and the refresher):
//   1. stampede: N concurrent `get` processes on an empty cache -> IAM requests (target 1), p50/p99
//   2. steady state: the daemon running with short-lived tokens and a `get` every 100 ms ->
//      how many gets exchanged inline (target 0) and how many exchanges the daemon did
//      (about one per 0.8 x lifetime).
// Everything runs on 127.0.0.1 against the IAM stand-in; the compiled binary is measured.
// Usage: node --import tsx scripts/bench-exchange.mts [--concurrency 100] [--rounds 3] [--duration 300] [--lifetime 60]
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as iamFixture from '../test/fixtures/iam.js';
import { binaryCopy, makeSandbox, runCommand } from './sandbox.mjs';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '300' },
    lifetime: { type: 'string', default: '60' },
  },
});
const sandbox = makeSandbox('bench');
const root = sandbox.root;
const binary = binaryCopy(sandbox);
const env = { PATH: process.env.PATH, ...sandbox.env, LANYARD_STORE: 'file' };
const logFile = join(env.XDG_STATE_HOME, 'lanyard', 'lanyard.log');

const runBinary = (args: string[], input = '') => runCommand(binary, args, env, input);

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor((p / 100) * values.length))];
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const exchangesBy = (role: string) =>
  (readFileSync(logFile, 'utf8').match(new RegExp(`INFO \\[${role} \\d+\\] exchanged a token`, 'g')) ?? []).length;

const apiKey = 'bench-key';
const iam = await iamFixture.start({ apikeys: [apiKey], tokenLifetimeSeconds: Number(values.lifetime) });
let daemon: ChildProcess | undefined;
try {
  const login = await runBinary(
    ['login', 'bench.icr.io', '-u', 'iamapikey', '--iam-endpoint', iam.url, '--password-stdin'],
    apiKey,
  );
  if (login.code !== 0) throw new Error('login failed');
  console.log(`machine: ${cpus()[0]?.model}, ${cpus().length} cores; binary ${binary}`);

  console.log(`\n1. stampede: ${values.concurrency} concurrent gets on an empty cache, ${values.rounds} rounds`);
  for (let round = 1; round <= Number(values.rounds); round += 1) {
    rmSync(join(env.XDG_RUNTIME_DIR, 'lanyard', 'tokens'), { recursive: true, force: true });
    const before = iam.counts.issued;
    const results = await Promise.all(
      Array.from({ length: Number(values.concurrency) }, () => runBinary(['get'], 'bench.icr.io')),
    );
    const secrets = new Set(results.map((r) => r.stdout));
    const failed = results.filter((r) => r.code !== 0).length;
    const ms = results.map((r) => r.ms);
    console.log(
      `   round ${round}: IAM requests ${iam.counts.issued - before} (target 1), ` +
        `distinct answers ${secrets.size}, failures ${failed}, ` +
        `p50 ${fmt(percentile(ms, 50))}, p99 ${fmt(percentile(ms, 99))}, max ${fmt(Math.max(...ms))}`,
    );
  }

  const seconds = Number(values.duration);
  console.log(`\n2. steady state: daemon running, ${values.lifetime} s tokens, a get every 100 ms for ${seconds} s`);
  rmSync(join(env.XDG_RUNTIME_DIR, 'lanyard', 'tokens'), { recursive: true, force: true });
  const daemonBefore = exchangesBy('daemon');
  daemon = spawn(binary, ['daemon'], { env, stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1500)); // the daemon's first refresh
  const inlineBefore = exchangesBy('helper');
  const latencies: number[] = [];
  let failures = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    const tick = Date.now();
    const result = await runBinary(['get'], 'bench.icr.io');
    latencies.push(result.ms);
    if (result.code !== 0) failures += 1;
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - tick))));
  }
  const inline = exchangesBy('helper') - inlineBefore;
  const byDaemon = exchangesBy('daemon') - daemonBefore;
  console.log(
    `   gets: ${latencies.length}, failures ${failures}, ` +
      `gets that exchanged inline (waited on the network): ${inline} (target 0)`,
  );
  const expected = (fraction: number) => 1 + seconds / (Number(values.lifetime) * fraction);
  console.log(
    `   daemon exchanges, first one included: ${byDaemon} ` +
      `(one per 0.80-0.85 x ${values.lifetime} s: expected ${Math.floor(expected(0.85))}-${Math.ceil(expected(0.8))})`,
  );
  console.log(
    `   get latency: p50 ${fmt(percentile(latencies, 50))}, p99 ${fmt(percentile(latencies, 99))}, ` +
      `max ${fmt(Math.max(...latencies))}`,
  );
} finally {
  if (daemon?.pid) {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon!.once('close', r));
  }
  await iam.stop();
  rmSync(root, { recursive: true, force: true });
}
