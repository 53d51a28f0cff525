// The agent starts on demand (docs/daemon.md#started-on-demand): a keychain `get` the agent did not answer starts
// one daemon in the background, and the next gets are answered by it (the trace says so); it exits after its idle
// time, while one started by hand stays; none is started with CI set, LANYARD_AGENT=0 or in kubelet mode; 20
// concurrent gets start one; a daemon that cannot start leaves the get's answer intact and says so in the log.
// A real gnome-keyring on a private bus, the compiled binary. Every sandbox here turns the start back on (the
// harness turns it off, support/sandbox.ts), and every daemon is stopped by its test.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { LANYARD_BIN } from './support/paths.js';
import { describe, track, type RunResult } from './support/run.js';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { get, runHelper, store, type Creds } from './support/helper.js';
import { assertCreds, assertOk, assertSilentOk } from './support/asserts.js';
import { daemonCommand, daemonPidFile, daemonSocket, sleep, startDaemon, waitFor } from './support/exchange-env.js';

const SERVER = 'on-demand.registry.test';
/** Longer than a daemon takes to start on this machine, loaded: a daemon that was going to start has. */
const SETTLE_MS = 2000;

let base: Sandbox;
let keyring: Keyring;
const boxes: Sandbox[] = [];

test.before(async () => {
  base = createSandbox('on-demand');
  keyring = await startKeyring(base);
});

test.after(async () => {
  for (const sb of boxes) await stopDaemonOf(sb);
  await keyring?.stop();
  for (const sb of [...boxes, base]) sb?.cleanup();
});

/** A sandbox on the file's keyring with the on-demand start on (and `extra` set), holding one keychain login. */
async function onDemandBox(label: string, extra: NodeJS.ProcessEnv = {}): Promise<{ sb: Sandbox; login: Creds }> {
  const sb = createSandbox(`on-demand-${label}`);
  boxes.push(sb);
  delete sb.env.LANYARD_AGENT_AUTOSTART;
  Object.assign(sb.env, { LANYARD_STORE: 'keychain', DBUS_SESSION_BUS_ADDRESS: keyring.address }, extra);
  const login = { ServerURL: SERVER, Username: 'u', Secret: `secret-${randomBytes(12).toString('hex')}` };
  assertSilentOk(await store(sb.env, login), `${label}: store`);
  return { sb, login };
}

const traced = (env: NodeJS.ProcessEnv) => ({ ...env, LANYARD_TRACE: '1' });
const log = (sb: Sandbox) => (existsSync(sb.logFile) ? readFileSync(sb.logFile, 'utf8') : '');
const startedOnDemand = (sb: Sandbox) => log(sb).match(/daemon started \(PID \d+\) on demand by a get/g)?.length ?? 0;

/** The PID in the sandbox's PID file while that process runs. */
function daemonPid(sb: Sandbox): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(daemonPidFile(sb), 'utf8'), 10);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Exited (a zombie not reaped yet counts: it serves nothing). */
function gone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

const waitForDaemon = (sb: Sandbox) => waitFor('a daemon started on demand', () => daemonPid(sb));

async function stopDaemonOf(sb: Sandbox): Promise<void> {
  const pid = daemonPid(sb);
  if (pid === undefined) return;
  process.kill(pid, 'SIGTERM');
  await waitFor(`daemon ${pid} to stop`, () => gone(pid) && !existsSync(daemonPidFile(sb)));
}

/** The get's output is exactly what it is without a daemon: the credentials, nothing on stderr. */
function assertPlainGet(r: RunResult, login: Creds, what: string): void {
  assertCreds(r, login, what);
  assert.is(r.stderr, '', `${what}: nothing on stderr\n${describe(r)}`);
}

test('a keychain get starts one daemon, on demand; the next gets are answered by it', async () => {
  const { sb, login } = await onDemandBox('first');
  assertPlainGet(await get(sb.env, SERVER), login, 'the first get');
  const pid = await waitForDaemon(sb);
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  assert.equal(argv.slice(-2), ['daemon', '--on-demand'], 'the daemon runs as started on demand');
  const status = await daemonCommand(sb.env, ['status']);
  assertOk(status, 'daemon status');
  assert.match(status.stdout, new RegExp(`^daemon PID ${pid}, up \\S+, started on demand by a get at \\d{4}-\\S+Z\\n`));
  assert.match(status.stdout, /\nexits when idle: in 30m unless a get comes \(LANYARD_DAEMON_IDLE_S\)\n/);
  // The first ask of a static login makes the daemon read the keychain: a get soon after is answered by it.
  const answered = await waitFor('a get answered by the daemon', async () => {
    const r = await get(traced(sb.env), SERVER);
    assertCreds(r, login, 'a get while the daemon runs');
    return r.stderr.includes('agent: answered') && r;
  });
  assert.not.match(answered.stderr, /daemon started on demand/, 'the daemon that answered was not started again');
  assertPlainGet(await get(sb.env, SERVER), login, 'a get answered by the daemon');
  assert.is(daemonPid(sb), pid, 'still the one daemon');
  assert.is(startedOnDemand(sb), 1, `one daemon started\n${log(sb)}`);
  await stopDaemonOf(sb);
});

test('a daemon started on demand exits after its idle time; gets keep it up', async () => {
  const { sb, login } = await onDemandBox('idle', { LANYARD_DAEMON_IDLE_S: '3' });
  assertPlainGet(await get(sb.env, SERVER), login, 'the first get');
  const pid = await waitForDaemon(sb);
  const started = Date.now();
  while (Date.now() - started < 4500) {
    assertCreds(await get(sb.env, SERVER), login, 'a get within the idle time');
    await sleep(700);
  }
  assert.is(daemonPid(sb), pid, 'gets more often than the idle time keep it up');
  await waitFor('the idle daemon to exit', () => daemonPid(sb) === undefined, 10_000);
  assert.ok(Date.now() - started >= 4500, 'it went only once the gets stopped');
  assert.not.ok(existsSync(daemonSocket(sb)), 'its socket is removed');
  assert.match(log(sb), /no get for the idle time \(started on demand\): finishing in-flight refreshes/);
});

test('a daemon started by hand stays past the idle time, and replaces one started on demand', async () => {
  const { sb, login } = await onDemandBox('by-hand', { LANYARD_DAEMON_IDLE_S: '1' });
  assertPlainGet(await get(sb.env, SERVER), login, 'the first get');
  const onDemand = await waitForDaemon(sb);
  const byHand = await startDaemon(sb);
  try {
    await waitFor('the daemon started on demand to go', () => gone(onDemand));
    await sleep(2500);
    assert.ok(byHand.running(), 'the daemon started by hand stays past LANYARD_DAEMON_IDLE_S');
    const status = await daemonCommand(sb.env, ['status']);
    assert.match(status.stdout, new RegExp(`^daemon PID ${byHand.pid}, up \\S+, started by hand at `));
    assert.not.match(status.stdout, /exits when idle/);
    assert.match(log(sb), `replacing the daemon started on demand (PID ${onDemand})`);
  } finally {
    await byHand.stop();
  }
});

const blockers: Array<[string, NodeJS.ProcessEnv, NodeJS.ProcessEnv, string | undefined]> = [
  // [what, the environment that stops it, the control that lets it start, the reason the trace gives]
  ['CI=true', { CI: 'true' }, { CI: 'false' }, 'CI is set'],
  ['LANYARD_AGENT=0', { LANYARD_AGENT: '0' }, {}, undefined], // the get does not even load the on-demand start
  ['LANYARD_AGENT_AUTOSTART=0 (the harness)', { LANYARD_AGENT_AUTOSTART: '0' }, {}, 'LANYARD_AGENT_AUTOSTART=0'],
];

for (const [what, blocked, control, reason] of blockers) {
  test(`no daemon is started with ${what}; without it one is`, async () => {
    const { sb, login } = await onDemandBox(what.split('=')[0]!.toLowerCase());
    const r = await get(traced({ ...sb.env, ...blocked }), SERVER);
    assertCreds(r, login, `get with ${what}`);
    if (reason) assert.match(r.stderr, `daemon not started on demand: ${reason}`);
    await sleep(SETTLE_MS);
    assert.is(daemonPid(sb), undefined, `no daemon with ${what}`);
    assert.is(startedOnDemand(sb), 0, `no daemon with ${what}\n${log(sb)}`);
    assertPlainGet(await get({ ...sb.env, ...control }, SERVER), login, 'the control get');
    await waitForDaemon(sb);
    await stopDaemonOf(sb);
  });
}

test('a login the daemon cannot answer (an env-store secret) starts none; a keychain login then does', async () => {
  const { sb, login } = await onDemandBox('env-store');
  const server = 'env.registry.test';
  const env = { ...sb.env, ON_DEMAND_TOKEN: 'from-the-environment' };
  assertOk(await runHelper(['login', server, '-u', 'ci', '--secret-env', 'ON_DEMAND_TOKEN'], { env }), 'login');
  const r = await get(traced(env), server);
  assertCreds(r, { ServerURL: server, Username: 'ci', Secret: 'from-the-environment' }, 'get of the env login');
  assert.match(r.stderr, 'daemon not started: it cannot answer this login');
  await sleep(SETTLE_MS);
  assert.is(daemonPid(sb), undefined, 'no daemon for an env-store login');
  assertPlainGet(await get(sb.env, SERVER), login, 'the control get');
  await waitForDaemon(sb);
  await stopDaemonOf(sb);
});

test('no daemon is started in kubelet mode; a get in the same place starts one', async () => {
  const { sb } = await onDemandBox('kubelet');
  const request = JSON.stringify({
    apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
    kind: 'CredentialProviderRequest',
    image: `${SERVER}/team/app:1`,
  });
  const r = await runHelper(['kubelet'], { env: sb.env, stdin: request });
  assertOk(r, 'kubelet mode');
  assert.match(r.stdout, '"kind":"CredentialProviderResponse"');
  await sleep(SETTLE_MS);
  assert.is(daemonPid(sb), undefined, 'no daemon after kubelet mode');
  assert.is(startedOnDemand(sb), 0, `no daemon after kubelet mode\n${log(sb)}`);
  assertOk(await get(sb.env, SERVER), 'the control get');
  await waitForDaemon(sb);
  await stopDaemonOf(sb);
});

test('20 concurrent gets start one daemon', async () => {
  const { sb, login } = await onDemandBox('twenty');
  const results = await Promise.all(Array.from({ length: 20 }, () => get(traced(sb.env), SERVER)));
  for (const r of results) assertCreds(r, login, 'one of 20 concurrent gets');
  const spawned = results.filter((r) => /daemon started on demand \(PID \d+\)/.test(r.stderr)).length;
  assert.is(spawned, 1, 'one of the 20 gets started a daemon');
  await waitForDaemon(sb);
  await sleep(SETTLE_MS);
  assert.is(startedOnDemand(sb), 1, `one daemon started\n${log(sb)}`);
  assert.not.match(log(sb), /another daemon/, 'no second daemon was started to give way');
  await stopDaemonOf(sb);
});

/**
 * The binary removed while a get runs (a package upgrade, say): the get answers, and the daemon it cannot start
 * is one line in the log. The get waits for its stdin, so the file goes before it gets as far as the start.
 */
async function getWithBinaryRemoved(sb: Sandbox): Promise<RunResult> {
  // lanyard itself, not the front: the daemon is started from the running program's own path, which goes here.
  const copy = join(sb.dir('bin'), 'lanyard');
  copyFileSync(LANYARD_BIN, copy);
  const child = spawn(copy, ['get'], { env: sb.env, stdio: ['pipe', 'pipe', 'pipe'] });
  track(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  await new Promise((resolve, reject) => child.once('spawn', resolve).once('error', reject));
  unlinkSync(copy);
  child.stdin!.end(SERVER);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (c, s) => resolve([c, s])),
  );
  return { code, signal, stdout, stderr, timedOut: false };
}

test('a daemon binary that cannot be run leaves the answer intact and says so in the log', async () => {
  const { sb, login } = await onDemandBox('no-binary');
  assertPlainGet(await getWithBinaryRemoved(sb), login, 'get whose binary went meanwhile');
  await waitFor('the failed start in the log', () => /could not start the daemon on demand: /.test(log(sb)));
  assert.is(daemonPid(sb), undefined, 'no daemon');
});

test('a daemon that fails at its start leaves the answer intact, is logged, and is not retried at once', async () => {
  const { sb, login } = await onDemandBox('cannot-listen');
  mkdirSync(daemonSocket(sb), { recursive: true }); // the socket's path is taken: listening fails
  assertPlainGet(await get(sb.env, SERVER), login, 'the get that starts it');
  await waitFor('the failed start in the log', () => /ERROR .*the daemon could not start: /.test(log(sb)));
  assert.is(daemonPid(sb), undefined, 'no daemon');
  const again = await get(traced(sb.env), SERVER);
  assertCreds(again, login, 'the next get');
  assert.match(again.stderr, 'daemon not started: another get is starting it', 'the failed start is not retried');
});

test.run();
