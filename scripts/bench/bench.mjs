#!/usr/bin/env node
// Timing half of scripts/bench-get (run inside its sandbox and D-Bus session; not on its
// own). Stores one credential into each helper through its own `store` verb, checks that
// each `get` returns exactly that secret, then times every case in interleaved rounds
// (rotating the order each round, so drift and neighbours hit all cases alike) and
// prints medians. Timing is a spawnSync loop rather than hyperfine because Debian 12's
// hyperfine (1.15) has no --input; the spawn floor (/bin/true) is shown for scale.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { delimiter, join } from 'node:path';

const {
  LANYARD_BENCH_BIN: BIN,
  LANYARD_BENCH_SOURCE: SOURCE,
  LANYARD_BENCH_SANDBOX: SANDBOX,
  LANYARD_BENCH_JSON: JSON_OUT,
} = process.env;
const RUNS = Number(process.env.LANYARD_BENCH_RUNS ?? 30);
const WARMUP = 3;
const CA_FILE = '/etc/ssl/certs/ca-certificates.crt';
const NOISE = 0.05; // "no slower" allows 5 % for run-to-run noise
const SERVER = 'registry.bench.lanyard.test';
const USER = 'bench-user';
const SECRET = `bench-${randomBytes(24).toString('hex')}`; // fresh per run: proves the read is real

const fail = (msg) => {
  console.error(`bench-get: ${msg}`);
  process.exit(1);
};
if (!BIN || !SANDBOX || !process.env.DBUS_SESSION_BUS_ADDRESS) fail('bench.mjs is started by scripts/bench-get');
if (!existsSync(CA_FILE)) fail(`${CA_FILE} is missing (package ca-certificates)`);
const which = (name) =>
  process.env.PATH.split(delimiter)
    .map((d) => join(d, name))
    .find((p) => existsSync(p)) ?? fail(`${name} not found on PATH`);
const SS = which('docker-credential-secretservice');
const PASS = which('docker-credential-pass');
const TRUE = which('true');

const LOAD0 = os.loadavg()[0];
const base = { ...process.env };
for (const k of Object.keys(base)) if (k.startsWith('LANYARD_') || k === 'NODE_EXTRA_CA_CERTS') delete base[k];
const keychainEnv = { ...base, LANYARD_STORE: 'keychain' };
const caEnv = { ...keychainEnv, NODE_EXTRA_CA_CERTS: CA_FILE };
// The file-store lanyard gets its own config and data dirs: one mapping entry per server.
const fileEnv = {
  ...base,
  LANYARD_STORE: 'file',
  XDG_CONFIG_HOME: join(SANDBOX, 'lanyard-file', 'config'),
  XDG_DATA_HOME: join(SANDBOX, 'lanyard-file', 'data'),
};

const run = (file, args, env, input = '') => spawnSync(file, args, { env, input, encoding: 'utf8' });
const show = (r) =>
  `exit ${r.status ?? r.signal}${r.error ? `, ${r.error.message}` : ''}\n  stdout: ${JSON.stringify(r.stdout)}\n  stderr: ${JSON.stringify(r.stderr)}`;

// 1. Store the same credential through each helper's own `store` verb.
const creds = JSON.stringify({ ServerURL: SERVER, Username: USER, Secret: SECRET });
for (const [label, file, env] of [
  ['secretservice', SS, base],
  ['pass', PASS, base],
  ['lanyard (keychain)', BIN, keychainEnv],
  ['lanyard (file)', BIN, fileEnv],
]) {
  const r = run(file, ['store'], env, creds);
  if (r.status !== 0 || r.stdout.trim()) fail(`${label} store failed: ${show(r)}`);
}

// lanyard must really hold it in the store under test (no silent fallback to the file store).
for (const [want, env] of [
  ['keychain', keychainEnv],
  ['file', fileEnv],
]) {
  const r = run(BIN, ['ls', '--json'], env);
  let stores = [];
  try {
    stores = JSON.parse(r.stdout).map((e) => e.store);
  } catch {
    /* reported below */
  }
  if (r.status !== 0 || stores.join() !== want) fail(`lanyard ls --json should show one ${want} entry: ${show(r)}`);
}

// An IBM Cloud API key whose IAM token lanyard has cached: the steady state of an
// exchanging entry. The IAM stand-in runs as its own process and must see exactly
// one exchange (the warm-up below), proving the timed gets never left the cache.
const IAM_SERVER = 'iam.bench.lanyard.test';
const APIKEY = `bench-key-${randomBytes(12).toString('hex')}`;
const standin = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'iam-standin.mts')], {
  env: { ...base, LANYARD_BENCH_APIKEY: APIKEY },
  stdio: ['ignore', 'pipe', 'inherit'],
  cwd: join(import.meta.dirname, '..', '..'),
});
let standinOut = '';
standin.stdout.on('data', (chunk) => {
  standinOut += chunk;
});
while (!standinOut.includes('\n')) await once(standin.stdout, 'data');
const iamUrl = standinOut.trim();
const iamLogin = run(
  BIN,
  ['login', IAM_SERVER, '-u', 'iamapikey', '--iam-endpoint', iamUrl, '--password-stdin'],
  keychainEnv,
  APIKEY,
);
if (iamLogin.status !== 0) fail(`lanyard login of the IAM entry failed: ${show(iamLogin)}`);
const firstIamGet = await new Promise((resolve) => {
  const child = spawn(BIN, ['get'], { env: keychainEnv });
  let out = '';
  child.stdout.on('data', (chunk) => {
    out += chunk;
  });
  child.on('close', (status) => resolve({ status, stdout: out, stderr: '' }));
  child.stdin.end(IAM_SERVER);
});
if (firstIamGet.status !== 0) fail(`the first get of the IAM entry failed: ${show(firstIamGet)}`);

const getCheck = (out) =>
  ((c) => c.ServerURL === SERVER && c.Username === USER && c.Secret === SECRET)(JSON.parse(out));
const versionCheck = (out) => out.startsWith('docker-credential-lanyard ');
const cases = [
  { id: 'ss', name: 'secretservice get', file: SS, args: ['get'], env: base, input: SERVER, check: getCheck },
  { id: 'pass', name: 'pass get', file: PASS, args: ['get'], env: base, input: SERVER, check: getCheck },
  {
    id: 'lk',
    name: 'lanyard get (keychain)',
    file: BIN,
    args: ['get'],
    env: keychainEnv,
    input: SERVER,
    check: getCheck,
  },
  {
    id: 'lkca',
    name: 'lanyard get (keychain, CA)',
    file: BIN,
    args: ['get'],
    env: caEnv,
    input: SERVER,
    check: getCheck,
  },
  {
    id: 'li',
    name: 'lanyard get (IAM token, cached)',
    file: BIN,
    args: ['get'],
    env: keychainEnv,
    input: IAM_SERVER,
    check: (out) =>
      ((c) => c.Username === 'iambearer' && c.Secret.split('.').length === 3 && c.Secret !== APIKEY)(JSON.parse(out)),
  },
  {
    id: 'lf',
    name: 'lanyard get (file store)',
    file: BIN,
    args: ['get'],
    env: fileEnv,
    input: SERVER,
    check: getCheck,
  },
  { id: 'lv', name: 'lanyard version', file: BIN, args: ['version'], env: base, input: '', check: versionCheck },
  {
    id: 'lvca',
    name: 'lanyard version (CA)',
    file: BIN,
    args: ['version'],
    env: caEnv,
    input: '',
    check: versionCheck,
  },
  { id: 'true', name: 'spawn floor (/bin/true)', file: TRUE, args: [], env: base, input: '', check: () => true },
];

// 2. Verify: every case must answer with the stored secret before it is timed, and
// every timed run must reproduce that exact output (an error path is never measured).
for (const c of cases) {
  const r = run(c.file, c.args, c.env, c.input);
  let ok = false;
  try {
    ok = r.status === 0 && c.check(r.stdout);
  } catch {
    /* not JSON: fall through */
  }
  if (!ok) fail(`${c.name} does not return the stored credential: ${show(r)}`);
  c.expect = r.stdout;
  c.samples = [];
}

// 3. Time: WARMUP untimed rounds, then RUNS timed rounds, interleaved.
for (let round = 0; round < WARMUP + RUNS; round++) {
  for (let k = 0; k < cases.length; k++) {
    const c = cases[(round + k) % cases.length];
    const t0 = process.hrtime.bigint();
    const r = run(c.file, c.args, c.env, c.input);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== 0 || r.stdout !== c.expect) fail(`${c.name} changed its answer in round ${round + 1}: ${show(r)}`);
    if (round >= WARMUP) c.samples.push(ms);
  }
}

standin.kill('SIGTERM');
await once(standin, 'close');
const issued = Number(standinOut.match(/issued (\d+)/)?.[1]);
if (issued !== 1)
  fail(`the IAM stand-in issued ${issued} tokens; the cached gets should have caused none after the first`);

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b),
    i = (s.length - 1) * q,
    lo = Math.floor(i);
  return s[lo] + (s[Math.ceil(i)] - s[lo]) * (i - lo);
};
for (const c of cases)
  Object.assign(c, {
    median: quantile(c.samples, 0.5),
    q1: quantile(c.samples, 0.25),
    q3: quantile(c.samples, 0.75),
    min: Math.min(...c.samples),
  });
const by = Object.fromEntries(cases.map((c) => [c.id, c]));

// 4. Report.
const firstLine = (file, args) => (run(file, args, base).stdout || '').split('\n')[0].trim();
const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown';
const debian = existsSync('/etc/debian_version') ? readFileSync('/etc/debian_version', 'utf8').trim() : '?';
const versions = {
  lanyard: firstLine(BIN, ['version']),
  'docker-credential-secretservice': firstLine(SS, ['version']),
  'docker-credential-pass': firstLine(PASS, ['version']),
  pass: (run('pass', ['version'], base).stdout.match(/v\d[\w.]*/) ?? ['?'])[0],
  gpg: firstLine('gpg', ['--version']),
  'gnome-keyring-daemon': firstLine('gnome-keyring-daemon', ['--version']),
};
console.log(
  `machine: ${os.availableParallelism()} cores (nproc), ${cpu}, Debian ${debian}, kernel ${os.release()}, load before run ${LOAD0.toFixed(2)}`,
);
if (LOAD0 > os.availableParallelism())
  console.log(
    `warning: 1-min load average was ${LOAD0.toFixed(2)} on ${os.availableParallelism()} cores before the run: other work may be running, medians may be noisy`,
  );
console.log(
  `versions: ${Object.entries(versions)
    .map(([k, v]) => `${k}=${v.replace(/^.*?(\d[\w.+~-]*)$/, '$1')}`)
    .join(', ')}`,
);
console.log(`lanyard binary: ${SOURCE} (built ${statSync(BIN).mtime.toISOString()}, timed from a copy in the sandbox)`);
console.log(
  `timing: node ${process.version} spawnSync loop, ${WARMUP} warm-up + ${RUNS} timed runs per case, interleaved; secret read back and checked on every run\n`,
);

const fmt = (x) => x.toFixed(2);
const rows = [['helper', 'median ms', 'ratio vs secretservice', 'min ms', 'IQR ms']];
for (const c of cases)
  rows.push([c.name, fmt(c.median), `${fmt(c.median / by.ss.median)}x`, fmt(c.min), `${fmt(c.q1)}-${fmt(c.q3)}`]);
const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
const line = (r) => r.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
console.log(line(rows[0]));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows.slice(1)) console.log(line(r));

const caRatio = by.lkca.median / by.lk.median;
console.log(`\nNODE_EXTRA_CA_CERTS=${CA_FILE}:`);
console.log(`  lanyard get     without ${fmt(by.lk.median)} ms, with ${fmt(by.lkca.median)} ms (${fmt(caRatio)}x)`);
console.log(
  `  lanyard version without ${fmt(by.lv.median)} ms, with ${fmt(by.lvca.median)} ms (${fmt(by.lvca.median / by.lv.median)}x)`,
);

const verdicts = [
  [`lanyard get <= 1.3x secretservice (${fmt(by.lk.median / by.ss.median)}x)`, by.lk.median <= 1.3 * by.ss.median],
  [
    `cached IAM-token get <= 1.3x secretservice (${fmt(by.li.median / by.ss.median)}x), one IAM exchange for ${RUNS + WARMUP + 1} gets`,
    by.li.median <= 1.3 * by.ss.median,
  ],
  [`lanyard get faster than pass (${fmt(by.lk.median)} vs ${fmt(by.pass.median)} ms)`, by.lk.median < by.pass.median],
  [
    `lanyard get with NODE_EXTRA_CA_CERTS no slower than without (${fmt(caRatio)}x, ${NOISE * 100}% noise allowed)`,
    caRatio <= 1 + NOISE,
  ],
];
console.log('');
for (const [what, met] of verdicts) console.log(`target: ${what}: ${met ? 'met' : 'NOT MET'}`);

if (JSON_OUT) {
  const results = cases.map(({ id, name, median, q1, q3, min, samples }) => ({
    id,
    name,
    median,
    q1,
    q3,
    min,
    samples,
  }));
  writeFileSync(
    JSON_OUT,
    `${JSON.stringify(
      {
        machine: { nproc: os.availableParallelism(), cpu, debian, kernel: os.release() },
        versions,
        runs: RUNS,
        warmup: WARMUP,
        results,
        verdicts: verdicts.map(([target, met]) => ({ target, met })),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`\nwrote ${JSON_OUT}`);
}
