// Fifty helper processes doing store, get and erase while the machine misbehaves under them: the keyring
// daemon is killed and started again, the lanyard daemon (answering gets as the agent) is SIGKILLed, and
// the disk holding the file store fills up and is freed. Afterwards every login any `store` reported
// stored (exit 0) reads back, every login an `erase` reported erased is gone, every failure was one line,
// and no process ran past the deadline its waits add up to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { runHelper, get, NOT_FOUND, type Creds } from './support/helper.js';
import { assertCreds, assertNotFound } from './support/asserts.js';
import { describe, type RunResult } from './support/run.js';
import { startDaemon, type Daemon } from './support/exchange-env.js';

const WORKERS = 50;
// The longest a process may honestly take: the mapping lock's wait (60 s) bounds a store that queues behind the
// others (each holds it while its keychain write runs: 2 s bus + 4 s addon; a keyring that came back locked
// makes each write slow), plus what it does before and after, on a loaded 2-core machine. A hang is forever.
const DEADLINE_MS = 90_000;
const STACK_LINE = /^\s+at .+:\d+:\d+\)?$/m;

type Verb = 'store' | 'get' | 'erase';
interface Step {
  verb: Verb;
  r: RunResult;
  ms: number;
}
interface Worker {
  creds: Creds;
  steps: Step[];
}

let keychainBox: Sandbox;
let fileBox: Sandbox;
let keyring: Keyring;
let daemon: Daemon | undefined;
let disk: string | undefined;

const rand = () => randomBytes(6).toString('hex');
/** Steps finished and failed so far in the running burst: the faults are timed by the work, not the clock. */
const progress = { done: 0, failed: 0 };

async function untilProgress(ready: () => boolean, withinMs: number): Promise<void> {
  for (const started = Date.now(); !ready() && Date.now() - started < withinMs; ) await sleep(50);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test.before(async () => {
  keychainBox = createSandbox('faults-keychain');
  keyring = await startKeyring(keychainBox);
  Object.assign(keychainBox.env, { LANYARD_STORE: 'keychain', LANYARD_KEYCHAIN_TIMEOUT_MS: '2000' });
  fileBox = createSandbox('faults-file');
  fileBox.env.LANYARD_STORE = 'file';
  // The file store's disk: a small tmpfs when root may mount one (as test/e2e/full-disk.test.ts does).
  const mountPoint = fileBox.dir('disk');
  const mounted =
    process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]).status === 0;
  if (mounted) {
    disk = mountPoint;
    for (const name of ['config', 'data', 'run']) mkdirSync(join(disk, name), { recursive: true, mode: 0o700 });
    chmodSync(join(disk, 'run'), 0o700);
    Object.assign(fileBox.env, {
      XDG_CONFIG_HOME: join(disk, 'config'),
      XDG_DATA_HOME: join(disk, 'data'),
      XDG_RUNTIME_DIR: join(disk, 'run'),
    });
  }
});

test.after(async () => {
  await daemon?.kill();
  await keyring?.stop();
  if (disk) spawnSync('umount', [disk]);
  keychainBox?.cleanup();
  fileBox?.cleanup();
});

/** Stops whatever keyring now owns the Secret Service name on this private bus, unless it is ours. */
async function stopActivatedKeyring(env: NodeJS.ProcessEnv): Promise<void> {
  const args = ['call', '--session', '--dest', 'org.freedesktop.DBus', '--object-path', '/'];
  const owner = spawnSync(
    'gdbus',
    [...args, '--method', 'org.freedesktop.DBus.GetConnectionUnixProcessID', 'org.freedesktop.secrets'],
    { env, encoding: 'utf8', timeout: 5000 },
  );
  const pid = Number(/\((?:uint32 )?(\d+),\)/.exec(owner.stdout)?.[1]);
  if (!Number.isInteger(pid) || pid === keyring.daemonPid) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && spawnSync('kill', ['-0', String(pid)]).status === 0; i++) await sleep(20);
}

async function step(worker: Worker, verb: Verb, env: NodeJS.ProcessEnv, stdin: string): Promise<Step> {
  const started = Date.now();
  const r = await runHelper([verb], { env, stdin, timeoutMs: DEADLINE_MS + 20_000 });
  const done = { verb, r, ms: Date.now() - started };
  worker.steps.push(done);
  progress.done += 1;
  if (r.code !== 0) progress.failed += 1;
  return done;
}

/** store, get, and for every third worker erase: each as its own process, one after the other. */
async function work(env: NodeJS.ProcessEnv, label: string, index: number): Promise<Worker> {
  const creds = { ServerURL: `w${index}.${label}.test`, Username: `u${index}`, Secret: `s-${index}-${rand()}` };
  const worker: Worker = { creds, steps: [] };
  await sleep(index * 60); // spread over 3 s, so the faults land in the middle of the work
  await step(worker, 'store', env, JSON.stringify(creds));
  await step(worker, 'get', env, creds.ServerURL);
  if (index % 3 === 0) await step(worker, 'erase', env, creds.ServerURL);
  return worker;
}

/** Every answer was either right or one line naming a failure, in time; never someone else's secret. */
function assertEveryAnswerBounded(workers: Worker[], label: string): { failures: string[] } {
  const failures: string[] = [];
  for (const { creds, steps } of workers) {
    for (const { verb, r, ms } of steps) {
      const what = `${label}: ${verb} ${creds.ServerURL} (${ms} ms)`;
      assert.not.ok(r.timedOut, `${what}: hung\n${describe(r)}`);
      assert.ok(ms < DEADLINE_MS, `${what}: past the deadline\n${describe(r)}`);
      assert.not.ok(STACK_LINE.test(r.stdout) || STACK_LINE.test(r.stderr), `${what}: a stack trace\n${describe(r)}`);
      if (r.code === 0) {
        if (verb === 'get') assert.equal(JSON.parse(r.stdout), creds, `${what}: the right login`);
        else assert.is(r.stdout, '', `${what}: silent`);
        continue;
      }
      assert.is(r.code, 1, `${what}: exit 1\n${describe(r)}`);
      assert.ok(/^[^\n]*\S[^\n]*\n?$/.test(r.stdout), `${what}: one line\n${describe(r)}`);
      failures.push(`${verb}: ${r.stdout.trim().slice(0, 160)}`);
    }
  }
  return { failures };
}

/** After the faults: stored (exit 0) and not erased reads back; erased (exit 0) is gone. */
async function assertNothingLost(workers: Worker[], env: NodeJS.ProcessEnv, label: string): Promise<number> {
  let stored = 0;
  for (const { creds, steps } of workers) {
    const storedOk = steps.some((s) => s.verb === 'store' && s.r.code === 0);
    const erasedOk = steps.some((s) => s.verb === 'erase' && s.r.code === 0);
    const r = await get(env, creds.ServerURL);
    if (erasedOk) assertNotFound(r, `${label}: ${creds.ServerURL} was erased`);
    else if (storedOk) {
      stored += 1;
      assertCreds(r, creds, `${label}: ${creds.ServerURL} was reported stored`);
    } else if (r.code === 0) assertCreds(r, creds, `${label}: ${creds.ServerURL}, a failed store, if anything`);
    else assert.is(r.stdout.trim(), NOT_FOUND, `${label}: ${creds.ServerURL}: ${describe(r)}`);
  }
  return stored;
}

const summary = (label: string, failures: string[], stored: number, ms: number) => {
  const kinds = [...new Set(failures.map((f) => f.replace(/"[^"]*"/g, '"…"').slice(0, 90)))];
  console.log(
    `  ${label}: ${WORKERS} workers, ${stored} logins stored, ${failures.length} one-line failures ` +
      `in ${Math.round(ms / 1000)} s${kinds.length ? `: ${kinds.join(' | ')}` : ''}`,
  );
};

test('keychain: the keyring daemon killed and restarted, the lanyard daemon SIGKILLed, mid-work', async () => {
  const env = keychainBox.env;
  daemon = await startDaemon(keychainBox, env, 120_000);
  Object.assign(progress, { done: 0, failed: 0 });
  const started = Date.now();
  const running = Promise.all(Array.from({ length: WORKERS }, (_, i) => work(env, 'keychain', i)));
  await untilProgress(() => progress.done >= 10, 30_000);
  process.kill(keyring.daemonPid, 'SIGKILL');
  await untilProgress(() => progress.done >= 20, 10_000);
  await daemon.kill();
  const workers = await running;
  const elapsed = Date.now() - started;
  const { failures } = assertEveryAnswerBounded(workers, 'keychain');
  // Meanwhile a call may have had the bus start a keyring of its own (D-Bus activation): locked, as after a
  // reboot. It goes, and the keyring comes back unlocked, as a person logging in would have it.
  await stopActivatedKeyring(env);
  assert.ok(await keyring.restartIfDied(), 'the keyring daemon was killed');
  const stored = await assertNothingLost(workers, env, 'keychain');
  summary('keychain', failures, stored, elapsed);
  assert.ok(stored > 0, 'some logins were stored around the faults');
});

test('file store: the disk fills up and is freed, mid-work', async () => {
  if (!disk) console.log('  (not root, or no tmpfs: the file store runs without a full disk)');
  const env = fileBox.env;
  Object.assign(progress, { done: 0, failed: 0 });
  const started = Date.now();
  const running = Promise.all(Array.from({ length: WORKERS }, (_, i) => work(env, 'file', i)));
  const filler = disk ? join(disk, 'filler') : undefined;
  await untilProgress(() => progress.done >= 10, 30_000);
  if (filler) {
    try {
      writeFileSync(filler, Buffer.alloc(4 * 1024 * 1024));
    } catch {
      /* ENOSPC: the disk is full now */
    }
  }
  await untilProgress(() => progress.failed >= 10, 10_000);
  if (filler) rmSync(filler, { force: true });
  const workers = await running;
  const elapsed = Date.now() - started;
  const { failures } = assertEveryAnswerBounded(workers, 'file');
  const stored = await assertNothingLost(workers, env, 'file');
  summary('file', failures, stored, elapsed);
  if (disk)
    assert.ok(
      failures.some((f) => /no space left/.test(f)),
      'some writes met the full disk',
    );
  assert.ok(stored > 0, 'some logins were stored around the faults');
});

test.run();
