// The agent path: with the daemon up, `get` of a static keychain login is answered from the daemon's
// memory (proved by locking the keychain: the answer still comes), never with a login's old secret after a
// logout or a new login, not when LANYARD_AGENT=0, within a short deadline when the daemon is frozen, and
// the daemon forgets what it holds after the idle time and when a read from the keychain fails as locked.
// A real gnome-keyring on a private bus, the compiled binary.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { BIN, DIST_BIN } from './support/paths.js';
import { run, track, type RunResult } from './support/run.js';
import { stopChild } from './support/process.js';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { get, runHelper, store, NOT_FOUND } from './support/helper.js';
import { assertCreds, assertOk, assertOneLineError, assertSilentOk } from './support/asserts.js';
import {
  assertNoSecretOnDisk,
  daemonCommand,
  daemonSocket,
  sleep,
  startDaemon,
  waitFor,
  type Daemon,
} from './support/exchange-env.js';

let sb: Sandbox;
let keyring: Keyring;
let daemon: Daemon | undefined;
const A = 'agent-a.registry.test';
const B = 'agent-b.registry.test';
const fresh = (label: string) => `${label}-${randomBytes(12).toString('hex')}`;
const creds = (server: string, secret: string) => ({ ServerURL: server, Username: 'agent-user', Secret: secret });
let loginA = creds(A, fresh('secret-a1'));
const loginB = creds(B, fresh('secret-b'));

test.before(async () => {
  sb = createSandbox('agent');
  sb.env.LANYARD_STORE = 'keychain';
  keyring = await startKeyring(sb);
  assertSilentOk(await store(sb.env, loginA), 'store A');
  assertSilentOk(await store(sb.env, loginB), 'store B');
});

test.after(async () => {
  await daemon?.stop();
  await keyring?.stop();
  sb?.cleanup();
});

const status = async (env = sb.env) => {
  const r = await daemonCommand(env, ['status']);
  assertOk(r, 'daemon status');
  return r.stdout;
};
const held = async (count: number) =>
  waitFor(`the daemon to hold ${count} secret(s)`, async () => {
    const text = await status();
    return text.includes(`agent: ${count} static secret${count === 1 ? '' : 's'} held in memory`) && text;
  });

test('the first get reads the keychain; the daemon then holds the secret and status counts it', async () => {
  daemon = await startDaemon(sb);
  assert.match(await status(), 'agent: 0 static secrets held in memory');
  assertCreds(await get(sb.env, A), loginA, 'first get of A');
  const text = await held(1);
  assert.not.ok(text.includes(loginA.Secret), 'status never shows a value');
  assertCreds(await get(sb.env, A), loginA, 'get of A from the agent');
});

test('a new login (docker login) is answered at once with the new secret, never the held old one', async () => {
  loginA = creds(A, fresh('secret-a2'));
  assertSilentOk(await store(sb.env, loginA), 'store a new secret for A');
  assertCreds(await get(sb.env, A), loginA, 'get right after the new login');
  await held(1);
  assertCreds(await get(sb.env, A), loginA, 'get from the agent after the new login');
});

test('logout: get is not-found at once, and the daemon drops the secret', async () => {
  assertOk(await runHelper(['logout', A], { env: sb.env }), 'logout A');
  assertOneLineError(await get(sb.env, A), 'get right after logout', NOT_FOUND);
  await held(0);
  loginA = creds(A, fresh('secret-a3'));
  assertSilentOk(await store(sb.env, loginA), 'log in to A again');
  assertCreds(await get(sb.env, A), loginA, 'get after logging in again');
  await held(1);
});

test('an env-store login is never answered by the daemon: each asker gets its own variable', async () => {
  const server = 'agent-env.registry.test';
  const env = (value: string) => ({ ...sb.env, AGENT_TEST_TOKEN: value, LANYARD_TRACE: '1' });
  const login = await runHelper(['login', server, '-u', 'ci', '--secret-env', 'AGENT_TEST_TOKEN'], {
    env: env('first-value'),
  });
  assertOk(login, 'login --secret-env');
  for (const value of ['first-value', 'second-value']) {
    const r = await get(env(value), server);
    assertCreds(r, { ServerURL: server, Username: 'ci', Secret: value }, `get with the variable set to ${value}`);
    assert.match(r.stderr, /agent: no answer/, 'the daemon (started without the variable) did not answer');
  }
  assertOk(await runHelper(['logout', server], { env: sb.env }), 'logout');
});

test("a job with its own config dir beside the user's daemon gets its own logins, not the daemon's", async () => {
  await held(1);
  const job = createSandbox('agent-job');
  try {
    // Same runtime dir (so the same daemon socket), its own config and data dirs: a CI job's throwaway logins.
    const env = { ...sb.env, XDG_CONFIG_HOME: job.configHome, XDG_DATA_HOME: job.dataHome, LANYARD_TRACE: '1' };
    const none = await get(env, A);
    assertOneLineError(none, 'get of a login only the daemon has', NOT_FOUND);
    assert.match(none.stderr, /agent: no answer/);
    const own = creds(A, fresh('secret-job'));
    assertSilentOk(await store({ ...env, LANYARD_STORE: 'file' }, own), 'the job stores its own login for A');
    assertCreds(await get(env, A), own, "the job's own login, not the daemon's");
  } finally {
    job.cleanup();
  }
});

/**
 * A traced get, repeated until the agent answered it: on a loaded machine the daemon can miss the
 * get's few-millisecond deadline, and the get then reads the store, as designed.
 */
async function getFromAgent(env: NodeJS.ProcessEnv, server: string): Promise<RunResult> {
  let r = await get({ ...env, LANYARD_TRACE: '1' }, server);
  for (let attempt = 1; attempt < 8 && !r.stderr.includes('agent: answered'); attempt++) {
    r = await get({ ...env, LANYARD_TRACE: '1' }, server);
  }
  return r;
}

test('LANYARD_TRACE=1 shows the agent answered; a frozen daemon costs at most the deadline', async () => {
  const traced = { ...sb.env, LANYARD_TRACE: '1' };
  const fromAgent = await getFromAgent(sb.env, A);
  assertCreds(fromAgent, loginA, 'traced get');
  assert.match(fromAgent.stderr, /agent: answered/);
  assert.not.match(fromAgent.stderr, /store read/, 'no store read when the agent answered');
  process.kill(daemon!.pid, 'SIGSTOP');
  try {
    const started = Date.now();
    const r = await get(traced, A);
    const tookMs = Date.now() - started;
    assertCreds(r, loginA, 'get while the daemon is stopped');
    assert.match(r.stderr, /agent: no answer/);
    assert.match(r.stderr, /store read/);
    // Without a deadline the get would wait for the stopped daemon until the 10 s test timeout.
    assert.ok(tookMs < 3000, `get took ${tookMs} ms with the daemon stopped`);
  } finally {
    process.kill(daemon!.pid, 'SIGCONT');
  }
});

test('locked keychain: the agent still answers, LANYARD_AGENT=0 reads the store and fails locked', async () => {
  await held(1);
  await keyring.lock();
  // Only the agent can answer now: the store is locked.
  assertCreds(await getFromAgent(sb.env, A), loginA, 'get from the agent with the keychain locked');
  const bypass = await get({ ...sb.env, LANYARD_AGENT: '0' }, A);
  assertOneLineError(bypass, 'get with LANYARD_AGENT=0 and the keychain locked');
  assert.match(bypass.stdout, /locked/);
});

test('a keychain read that fails as locked makes the daemon drop every held secret', async () => {
  const other = await get(sb.env, B); // the daemon tries to read B: locked
  assertOneLineError(other, 'get of B with the keychain locked');
  await held(0);
  const r = await get(sb.env, A);
  assertOneLineError(r, 'get of A once the daemon dropped it');
  assert.match(r.stdout, /locked/);
  assertNoSecretOnDisk(sb, { 'secret of A': loginA.Secret, 'secret of B': loginB.Secret });
});

test('idle: the daemon forgets a secret nobody asked for within LANYARD_AGENT_IDLE_S', async () => {
  await daemon!.stop();
  const idleSb = createSandbox('agent-idle');
  try {
    idleSb.env.LANYARD_STORE = 'file';
    const login = creds(A, fresh('secret-idle'));
    assertSilentOk(await store(idleSb.env, login), 'store in the file store');
    daemon = await startDaemon(idleSb, { ...idleSb.env, LANYARD_AGENT_IDLE_S: '2' });
    const idleStatus = async () => (await daemonCommand(idleSb.env, ['status'])).stdout;
    assertCreds(await get(idleSb.env, A), login, 'first get');
    await waitFor('the daemon to hold it', async () => (await idleStatus()).includes('agent: 1 static secret'));
    await waitFor('the daemon to drop it', async () => (await idleStatus()).includes('agent: 0 static secrets'), 6000);
    await daemon.stop();
    daemon = await startDaemon(idleSb, { ...idleSb.env, LANYARD_AGENT: '0' });
    assertCreds(await get(idleSb.env, A), login, 'get with the agent off in the daemon');
    assert.match(await idleStatus(), 'agent: off');
  } finally {
    await daemon?.stop();
    daemon = undefined;
    idleSb.cleanup();
  }
});

/** Every file under `dir` handed to `uid`, as if that user had made the sandbox. */
function chownTree(dir: string, uid: number): void {
  chownSync(dir, uid, uid);
  for (const name of readdirSync(dir, { withFileTypes: true })) {
    if (name.isDirectory()) chownTree(join(dir, name.name), uid);
    else chownSync(join(dir, name.name), uid, uid);
  }
}

/** One raw request line to the socket, the answer line back (as this test process's uid). */
function askRaw(path: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = connect(path, () => socket.write(`${line}\n`));
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

test('the daemon refuses a peer of another uid (SO_PEERCRED), even one that can reach its socket', async () => {
  if (process.getuid?.() !== 0) return console.log('  (skipped: needs root to run the daemon as another user)');
  const NOBODY = 65534;
  const peerSb = createSandbox('agent-peer');
  const env = { ...peerSb.env, LANYARD_STORE: 'file' };
  const asNobody = (args: string[], stdin = '') => {
    const child = spawn(BIN, args, { env, uid: NOBODY, gid: NOBODY, stdio: ['pipe', 'pipe', 'pipe'] });
    track(child);
    child.stdin.end(stdin);
    return child;
  };
  const output = (child: ReturnType<typeof asNobody>) =>
    new Promise<{ code: number | null; stdout: string }>((resolve) => {
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        stdout += c;
      });
      child.on('close', (code) => resolve({ code, stdout }));
    });
  const login = creds(A, fresh('secret-nobody'));
  chmodSync(DIST_BIN, 0o755); // the test's private copy of the binary, for the other user to run
  chownTree(peerSb.root, NOBODY);
  const daemonChild = asNobody(['daemon']);
  try {
    assert.is((await output(asNobody(['store'], JSON.stringify(login)))).code, 0, 'store as nobody');
    const socket = daemonSocket(peerSb);
    await waitFor('the nobody daemon to listen', () => statSync(socket, { throwIfNoEntry: false })?.isSocket());
    const own = await output(asNobody(['get'], A));
    assert.equal(JSON.parse(own.stdout), login, 'its own user gets the login');
    const ownStatus = await output(asNobody(['daemon', 'status']));
    assert.is(ownStatus.code, 0, `its own user gets the status: ${ownStatus.stdout}`);
    // Root passes the 0700 directory; only the peer check stands between it and the daemon.
    const status = await run(BIN, ['daemon', 'status'], { env, timeoutMs: 10_000 });
    assert.is(status.code, 1, 'root is refused');
    assert.match(status.stderr, /refused: the daemon answers only its own user/);
    await sleep(100); // let the daemon read the secret the first get asked for
    const request = { op: 'get', serverURL: A };
    const answer = await askRaw(socket, JSON.stringify(request));
    assert.match(answer, /refused/);
    assert.not.ok(answer.includes(login.Secret), 'no secret to another uid');
  } finally {
    await stopChild(daemonChild);
    peerSb.cleanup();
  }
});

test.run();
