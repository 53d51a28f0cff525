// Bad input to the native front: a stale socket, a socket in a directory gone wide or itself wide, one owned by
// someone else, a listener of another user, and a daemon stand-in that answers garbage, slowly, never, too much,
// in pieces, or in ways Go's and JavaScript's JSON readers tell apart. A copy of the front with no lanyard beside
// it shows what the front does on its own: it answers only a well-formed answer from a trusted socket, and
// otherwise falls back (alone: one line, exit 1) well within a second, never hangs and never answers wrongly.
// Through the pair, the output is byte-identical to lanyard's own. The compiled pair, file store.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { BIN, LANYARD_BIN } from './support/paths.js';
import { track } from './support/run.js';
import { daemonSocket, fileStoreSandbox, lanyardRuntimeDir, waitFor } from './support/exchange-env.js';
import type { Sandbox } from './support/sandbox.js';
import { loneFront, NO_LANYARD, runBytes, show, type ByteResult } from './support/front-pair.js';

const SERVER = 'faults.registry.test';
const NOT_FOUND = 'credentials not found in native keychain\n';
let sb: Sandbox;
let alone: string;
let server: Server | undefined;
const sockets = new Set<Socket>();

test.before(() => {
  sb = fileStoreSandbox('front-faults');
  mkdirSync(lanyardRuntimeDir(sb), { mode: 0o700 });
  alone = loneFront();
});

test.after(async () => {
  await stopStandIn();
  sb?.cleanup();
});

/** A daemon stand-in on the socket path: `answer` is called with each connection and its request line. */
async function standIn(answer: (socket: Socket, request: string) => void, path = daemonSocket(sb)): Promise<void> {
  await stopStandIn();
  rmSync(path, { force: true });
  server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let received = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => {
      received += chunk;
      const newline = received.indexOf('\n');
      if (newline >= 0) answer(socket, received.slice(0, newline));
    });
  });
  await new Promise<void>((resolve) => server!.listen(path, resolve));
  chmodSync(path, 0o600);
}

async function stopStandIn(): Promise<void> {
  for (const socket of sockets) socket.destroy();
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
}

const line = (value: unknown) => `${JSON.stringify(value)}\n`;
const get = (file: string, serverURL = SERVER) =>
  runBytes(file, ['get'], { env: sb.env, stdin: { bytes: Buffer.from(serverURL) }, timeoutMs: 10_000 });

/** Alone, the front fell back: one line, exit 1, quickly. */
async function assertFellBack(what: string): Promise<ByteResult> {
  const r = await get(alone);
  assert.is(r.code, 1, `${what}: ${show(r)}`);
  assert.match(r.stdout.toString(), NO_LANYARD, `${what}: ${show(r)}`);
  assert.is(r.stdout.toString().split('\n').length, 2, `${what}: one line: ${show(r)}`);
  assert.ok(r.ms < 1500, `${what}: fell back within 1.5 s, not ${r.ms.toFixed(0)} ms`);
  return r;
}

/**
 * Through the pair the answer is lanyard's own, byte for byte. lanyard's own 10 ms wait for the daemon can pass on
 * a loaded machine in either run, and then it answers without the daemon: up to 10 tries for one identical pair.
 */
async function assertPairAsLanyard(what: string): Promise<ByteResult> {
  let both = '';
  for (let attempt = 0; attempt < 10; attempt++) {
    const front = await get(BIN);
    const lanyard = await get(LANYARD_BIN);
    if (front.code === lanyard.code && front.stdout.equals(lanyard.stdout) && front.stderr.equals(lanyard.stderr))
      return front;
    both = `${what}\n front:   ${show(front)}\n lanyard: ${show(lanyard)}`;
  }
  return assert.unreachable(both) as never;
}

const EVIL = { username: 'not-your-login', secret: 'planted-secret' };

test('no socket, a stale socket (nobody listening): the front falls back at once', async () => {
  await assertFellBack('no socket');
  const socket = daemonSocket(sb);
  // A socket file whose listener is gone: bound by a process that exits without removing it.
  const bind = spawnSync('python3', [
    '-c',
    'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])',
    socket,
  ]);
  assert.is(bind.status, 0, `python3 binds a socket: ${bind.stderr}`);
  chmodSync(socket, 0o600);
  await assertFellBack('stale socket');
  assert.equal((await assertPairAsLanyard('stale socket')).stdout.toString(), NOT_FOUND);
  rmSync(socket);
});

/** The front alone, given up to 20 tries: its 10 ms deadline can pass on a loaded machine, and then it falls back. */
async function answeredAlone(): Promise<ByteResult> {
  let r = await get(alone);
  for (let attempt = 1; attempt < 20 && r.code !== 0; attempt++) r = await get(alone);
  assert.is(r.code, 0, `the front answers alone: ${show(r)}`);
  return r;
}

test('a well-formed answer with the characters Go escapes is printed by the front as lanyard prints it', async () => {
  const login = { username: '<a>&b \u2028\u2029 "q" \\ \u0007 😀', secret: '\u0000\u001f\u007f é </script>' };
  const requests: string[] = [];
  await standIn((socket, request) => {
    requests.push(request);
    socket.end(line({ answer: login }));
  });
  const front = await answeredAlone();
  let lanyard = await get(LANYARD_BIN);
  for (let attempt = 1; attempt < 20 && lanyard.code !== 0; attempt++) lanyard = await get(LANYARD_BIN);
  assert.ok(front.stdout.equals(lanyard.stdout), `${show(front)}\n${show(lanyard)}`);
  assert.equal(JSON.parse(front.stdout.toString()), {
    ServerURL: SERVER,
    Username: login.username,
    Secret: login.secret,
  });
  const asked = JSON.parse(requests[0]!);
  assert.equal(Object.keys(asked), ['op', 'serverURL', 'mappingFile', 'secretsFile'], 'the request names');
  assert.equal([asked.mappingFile, asked.secretsFile], [sb.mappingFile, sb.secretsFile], 'the config identity');
  // A duplicate key: JavaScript takes the last one, and so must the front.
  await standIn((socket) => socket.end('{"answer":{"username":"u","secret":"first","secret":"last"}}\n'));
  assert.match((await answeredAlone()).stdout.toString(), /"Secret":"last"/);
});

// Each answers something lanyard's agent client does not believe, or reads differently from Go: alone, the front
// falls back; through the pair, lanyard decides.
const UNBELIEVED: Array<[string, (socket: Socket) => void]> = [
  ['garbage', (socket) => socket.end('garbage\n')],
  ['null', (socket) => socket.end(line({ answer: null }))],
  ['an error', (socket) => socket.end(line({ error: 'refused: the daemon answers only its own user' }))],
  ['a key in other case (Go would match it)', (socket) => socket.end(line({ ANSWER: EVIL }))],
  ['an empty username', (socket) => socket.end(line({ answer: { username: '', secret: 's' } }))],
  ['a number for a secret', (socket) => socket.end('{"answer":{"username":"u","secret":12}}\n')],
  [
    'a lone surrogate (Go would make it U+FFFD)',
    (socket) => socket.end('{"answer":{"username":"u","secret":"\\ud800"}}\n'),
  ],
  [
    'bytes that are not UTF-8',
    (socket) => socket.end(Buffer.from('{"answer":{"username":"u","secret":"\xff"}}\n', 'latin1')),
  ],
  ['a secret over the bound', (socket) => socket.end(line({ answer: { username: 'u', secret: 'x'.repeat(70_000) } }))],
  ['1 MiB without a newline', (socket) => socket.end('x'.repeat(1024 * 1024))],
  ['a close without an answer', (socket) => socket.end()],
  ['an answer without its newline, then close', (socket) => socket.end(JSON.stringify({ answer: EVIL }))],
  ['an answer after 200 ms', (socket) => setTimeout(() => socket.end(line({ answer: EVIL })), 200)],
  ['nothing, ever (the connection held open)', () => {}],
];

for (const [what, answer] of UNBELIEVED) {
  test(`a daemon that answers ${what}: the front falls back`, async () => {
    await standIn((socket) => answer(socket));
    const r = await assertFellBack(what);
    assert.not.ok(r.stdout.toString().includes(EVIL.secret), 'never the planted answer');
    await assertPairAsLanyard(what);
  });
}

test('a socket in a runtime dir others can enter, or a socket others can open: the front does not ask', async () => {
  let asked = 0;
  await standIn((socket) => {
    asked++;
    socket.end(line({ answer: EVIL }));
  });
  chmodSync(lanyardRuntimeDir(sb), 0o755);
  await assertFellBack('runtime dir 0755');
  chmodSync(lanyardRuntimeDir(sb), 0o700);
  chmodSync(daemonSocket(sb), 0o666);
  await assertFellBack('socket 0666');
  chmodSync(daemonSocket(sb), 0o600);
  assert.is(asked, 0, 'the stand-in was never asked');
  await answeredAlone(); // with both private again, it asks
});

test('a socket owned by someone else, and a listener of another user behind our socket: never asked', async () => {
  if (process.getuid?.() !== 0) return console.log('  (skipped: needs root to act as another user)');
  const NOBODY = 65534;
  let asked = 0;
  await standIn((socket) => {
    asked++;
    socket.end(line({ answer: EVIL }));
  });
  chownSync(daemonSocket(sb), NOBODY, NOBODY);
  await assertFellBack('socket owned by nobody');
  assert.is(asked, 0, 'a socket of another owner is not asked');
  await stopStandIn();
  // A listener run as nobody, its socket then moved into our private dir and given to us: only the peer's
  // credentials (SO_PEERCRED) tell.
  const shared = mkdtempSync(join(tmpdir(), 'lanyard-front-nobody-')); // a dir nobody can reach and write
  chmodSync(shared, 0o777);
  const theirs = join(shared, 'theirs.sock');
  const script =
    `require('net').createServer((s) => s.end(${JSON.stringify(line({ answer: EVIL }))}))` +
    `.listen(process.argv[1], () => console.log('listening'))`;
  const listener = spawn(process.execPath, ['-e', script, theirs], { uid: NOBODY, gid: NOBODY, stdio: 'pipe' });
  track(listener);
  try {
    await waitFor('the nobody listener', () => existsSync(theirs));
    renameSync(theirs, daemonSocket(sb));
    chownSync(daemonSocket(sb), 0, 0);
    chmodSync(daemonSocket(sb), 0o600);
    await assertFellBack('a listener of another user');
  } finally {
    listener.kill('SIGKILL');
    rmSync(shared, { recursive: true, force: true });
  }
});

test('lanyard missing, or not runnable, beside the front: one line naming it, exit 1', async () => {
  const r = await runBytes(alone, ['list'], { env: sb.env, stdin: 'devnull' });
  assert.is(r.code, 1, show(r));
  assert.match(r.stdout.toString(), NO_LANYARD);
  assert.match(r.stdout.toString(), /install lanyard beside this program/);
  assert.is(r.stderr.length, 0, 'nothing on stderr');
});

test.run();
