// The native front against lanyard itself: every protocol verb and a corpus of inputs (good, malformed, empty,
// huge, odd unicode, not UTF-8; through a pipe, a positioned file and /dev/null; under a kubelet provider's name;
// with settings the front does not model) run through the front and through lanyard directly, without and with a
// running daemon. stdout, stderr and the exit code must be byte-identical. The front answers the agent's hits
// itself (a copy of it with no lanyard beside it still answers them); everything else it hands to lanyard.
// File store, the compiled pair, a real daemon.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, LANYARD_BIN } from './support/paths.js';
import { daemonCommand, fileStoreSandbox, startDaemon, waitFor, type Daemon } from './support/exchange-env.js';
import type { Sandbox } from './support/sandbox.js';
import { loneFront, runBytes, show, type ByteResult, type Stdin } from './support/front-pair.js';

let sb: Sandbox;
let daemon: Daemon | undefined;
const counts = { compared: 0, retried: 0, answeredByFront: 0 };

// Logins whose answers exercise JSON.stringify's encoding: HTML characters and U+2028/2029 (which Go's encoder
// escapes), control characters, characters outside the BMP, a secret near the agent's bound and one over it (the
// daemon never holds that one). A lone surrogate cannot be stored; front-faults.test.ts has a daemon answer one.
const LOGINS = [
  { ServerURL: 'parity.registry.test', Username: 'parity-user', Secret: 'parity-secret-1' },
  {
    ServerURL: 'odd.registry.test',
    Username: '<b>&"q"\\ \u2028\u2029 é 😀',
    Secret: '\u0001\u001f\u007f\t\n</x> 🐳',
  },
  { ServerURL: 'big.registry.test', Username: 'big', Secret: 'b'.repeat(60_000) },
  { ServerURL: 'over.registry.test', Username: 'over', Secret: 'o'.repeat(70_000) },
  { ServerURL: 'https://url.registry.test/v2/', Username: 'url-user', Secret: 'url-secret' },
];
const HITS = ['parity.registry.test', 'odd.registry.test', 'big.registry.test', 'url.registry.test'];

const text = (value: string) => ({ bytes: Buffer.from(value, 'utf8') }) as Stdin;
const bytes = (...values: number[]) => ({ bytes: Buffer.from(values) }) as Stdin;

interface Case {
  name: string;
  args: string[];
  stdin: () => Stdin;
  env?: NodeJS.ProcessEnv;
  argv0?: string;
  /** LANYARD_TRACE prints times: compared with every number masked. */
  timed?: boolean;
}

/** A regular file as stdin, positioned after `skip` bytes: lanyard reads from there, and so must it after the front. */
function fileStdin(content: Buffer, skip = 0): () => Stdin {
  return () => {
    const file = join(sb.dir('stdin-files'), `${Math.random().toString(36).slice(2)}.txt`);
    writeFileSync(file, content);
    const fd = openSync(file, 'r');
    if (skip) readSync(fd, Buffer.alloc(skip), 0, skip, null);
    return { fd };
  };
}

const kubeletRequest = (image: string) =>
  JSON.stringify({ apiVersion: 'credentialprovider.kubelet.k8s.io/v1', kind: 'CredentialProviderRequest', image });

function corpus(): Case[] {
  const get = (name: string, stdin: () => Stdin, extra: Partial<Case> = {}): Case => ({
    name: `get: ${name}`,
    args: ['get'],
    stdin,
    ...extra,
  });
  const cases: Case[] = [
    ...HITS.map((server) => get(server, () => text(server))),
    ...HITS.map((server) => get(`${server} from a file`, fileStdin(Buffer.from(server)))),
    get('secret over the agent bound', () => text('over.registry.test')),
    get('surrounded by ASCII space', () => text('\n\t parity.registry.test \r\n')),
    get('byte order mark', () => text('\ufeffparity.registry.test')),
    get('U+00A0, U+3000, U+2028 around', () => text('\u00a0\u2028parity.registry.test\u3000')),
    get('U+0085 after (JavaScript does not trim it)', () => text('parity.registry.test\u0085')),
    get('upper case', () => text('PARITY.Registry.Test')),
    get('a URL', () => text('https://parity.registry.test/v2/')),
    get('with a port', () => text('parity.registry.test:443')),
    get('a miss', () => text('nothing.registry.test')),
    get('empty', () => text('')),
    get('only space', () => text('  \n\t')),
    get('100 KiB (more than a pipe holds)', () => text('a'.repeat(100 * 1024))),
    get('2 MiB (over the limit)', () => text('b'.repeat(2 * 1024 * 1024))),
    get('not UTF-8', () => bytes(0xff, 0xfe, 0x41)),
    get('an encoded surrogate (not UTF-8)', () => bytes(0x61, 0xed, 0xa0, 0x80)),
    get('a NUL inside', () => text('parity\u0000.registry.test')),
    get('JSON instead of a URL', () => text('{"ServerURL":"parity.registry.test"}')),
    get('from a file after 3 bytes', fileStdin(Buffer.from('xyzparity.registry.test'), 3)),
    get('a miss from a file', fileStdin(Buffer.from('nothing.registry.test'))),
    get('200 KiB from a file', fileStdin(Buffer.alloc(200 * 1024, 'c'))),
    get('/dev/null', () => 'devnull'),
    get('LANYARD_AGENT=0', () => text('parity.registry.test'), { env: { LANYARD_AGENT: '0' } }),
    get('LANYARD_TRACE=1', () => text('parity.registry.test'), { env: { LANYARD_TRACE: '1' }, timed: true }),
    get('LANYARD_DEBUG=1', () => text('parity.registry.test'), { env: { LANYARD_DEBUG: '1' } }),
    get('a LANYARD_ setting the front does not know', () => text('parity.registry.test'), {
      env: { LANYARD_NOT_YET_INVENTED: '1' },
    }),
    get('LANYARD_AGENT=1, LANYARD_TTY=0', () => text('parity.registry.test'), {
      env: { LANYARD_AGENT: '1', LANYARD_TTY: '0' },
    }),
    get('XDG_RUNTIME_DIR unset', () => text('parity.registry.test'), { env: { XDG_RUNTIME_DIR: undefined } }),
    get('under a kubelet provider name', () => text('parity.registry.test'), {
      argv0: '/opt/bin/lanyard-credential-provider',
    }),
    {
      name: 'kubelet provider name, a request',
      args: [],
      stdin: () => text(kubeletRequest('parity.registry.test/team/app:1')),
      argv0: '/opt/bin/lanyard-credential-provider',
    },
    { name: 'kubelet verb', args: ['kubelet'], stdin: () => text(kubeletRequest('parity.registry.test/app')) },
    { name: 'list', args: ['list'], stdin: () => text('') },
    { name: 'version', args: ['version'], stdin: () => 'devnull' },
    { name: '--version', args: ['--version'], stdin: () => 'devnull' },
    { name: 'no verb', args: [], stdin: () => 'devnull' },
    { name: 'get with an extra argument', args: ['get', 'extra'], stdin: () => text('parity.registry.test') },
    { name: 'an unknown verb', args: ['fetch'], stdin: () => text('parity.registry.test') },
    { name: 'erase of nothing', args: ['erase'], stdin: () => text('never-stored.registry.test') },
    { name: 'store of bad JSON', args: ['store'], stdin: () => text('not json') },
    {
      name: 'store of a lone surrogate',
      args: ['store'],
      stdin: () => text('{"ServerURL":"l.test","Username":"u","Secret":"\\ud800"}'),
    },
    { name: 'store without a username', args: ['store'], stdin: () => text('{"ServerURL":"x.registry.test"}') },
    {
      name: 'store (the same login twice)',
      args: ['store'],
      stdin: () => text('{"ServerURL":"twice.registry.test","Username":"t","Secret":"s"}'),
    },
    { name: 'help', args: ['--help'], stdin: () => 'devnull' },
  ];
  return cases;
}

const envOf = (c: Case) => {
  const env = { ...sb.env, ...c.env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete env[key];
  return env;
};
async function run(file: string, c: Case): Promise<ByteResult> {
  const stdin = c.stdin();
  try {
    return await runBytes(file, c.args, { env: envOf(c), argv0: c.argv0 ?? BIN, stdin, timeoutMs: 30_000 });
  } finally {
    if (typeof stdin === 'object' && 'fd' in stdin) closeSync(stdin.fd);
  }
}
const masked = (buffer: Buffer) => buffer.toString('latin1').replace(/ +\+?\d+(\.\d+)?/g, ' N');

function assertSame(c: Case, front: ByteResult, lanyard: ByteResult, phase: string): void {
  const what = `${c.name} (${phase})\n front:   ${show(front)}\n lanyard: ${show(lanyard)}`;
  assert.not.ok(front.timedOut || lanyard.timedOut, `timed out: ${what}`);
  assert.is(front.code, lanyard.code, `exit code: ${what}`);
  assert.ok(front.stdout.equals(lanyard.stdout), `stdout: ${what}`);
  if (c.timed) assert.is(masked(front.stderr), masked(lanyard.stderr), `stderr (numbers masked): ${what}`);
  else assert.ok(front.stderr.equals(lanyard.stderr), `stderr: ${what}`);
  counts.compared++;
}

const same = (c: Case, front: ByteResult, lanyard: ByteResult) =>
  front.code === lanyard.code &&
  front.stdout.equals(lanyard.stdout) &&
  (c.timed ? masked(front.stderr) === masked(lanyard.stderr) : front.stderr.equals(lanyard.stderr));

/**
 * With a daemon up, either program may find the agent too slow (lanyard waits 10 ms, as the front does) and
 * answer without it: on a loaded machine that can part two runs even of lanyard alone. A pair that differs is run
 * again, up to 5 times; the retries are counted.
 */
async function compareAll(phase: string): Promise<void> {
  for (const c of corpus()) {
    let front = await run(BIN, c);
    let lanyard = await run(LANYARD_BIN, c);
    for (let attempt = 1; attempt < 5 && !same(c, front, lanyard); attempt++) {
      counts.retried++;
      front = await run(BIN, c);
      lanyard = await run(LANYARD_BIN, c);
    }
    assertSame(c, front, lanyard, phase);
  }
}

test.before(async () => {
  try {
    sb = fileStoreSandbox('front-parity');
    for (const login of LOGINS) {
      const r = await runBytes(LANYARD_BIN, ['store'], { env: sb.env, stdin: text(JSON.stringify(login)) });
      assert.is(r.code, 0, `store ${login.ServerURL}: ${show(r)}`);
    }
  } catch (error) {
    console.error('[front-parity] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  await daemon?.stop();
  sb?.cleanup();
});

test('without a daemon, every case is byte-identical through the front and through lanyard', async () => {
  await compareAll('no daemon');
});

test('with the daemon up, every case is byte-identical, and the hits are answered by the front alone', async () => {
  daemon = await startDaemon(sb);
  // The agent answers a login's first ask with nothing and reads the store afterwards: ask each once, then wait.
  for (const server of [...HITS, 'over.registry.test']) {
    await runBytes(LANYARD_BIN, ['get'], { env: sb.env, stdin: text(server) });
  }
  await waitFor('the daemon to hold the logins', async () => {
    const r = await daemonCommand(sb.env, ['status']);
    return /agent: [45] static secrets held/.test(r.stdout);
  });
  await compareAll('daemon up');
  const alone = loneFront();
  for (const server of HITS) {
    const c: Case = { name: `${server} by the front alone`, args: ['get'], stdin: () => text(server) };
    // The front waits 10 ms for the daemon: on a loaded machine an attempt may run out of time and fall back.
    let front = await run(alone, c);
    for (let attempt = 1; attempt < 20 && front.code !== 0; attempt++) front = await run(alone, c);
    const lanyard = await run(LANYARD_BIN, c);
    assertSame(c, front, lanyard, 'daemon up, no lanyard beside the front');
    counts.answeredByFront++;
  }
  // Not hits: the front hands them on, and alone it can only say that it cannot.
  for (const server of ['over.registry.test', 'nothing.registry.test']) {
    const r = await runBytes(alone, ['get'], { env: sb.env, stdin: text(server) });
    assert.is(r.code, 1, `${server}: ${show(r)}`);
    assert.match(r.stdout.toString(), /cannot run \S+lanyard/, `${server}: ${show(r)}`);
  }
});

test('the counts', () => {
  console.log(
    `\n[front-parity] ${counts.compared} comparisons of stdout, stderr and exit code, all byte-identical; ` +
      `${counts.retried} pairs run again after a difference; ` +
      `${counts.answeredByFront} hits answered by the front alone`,
  );
});

test.run();
