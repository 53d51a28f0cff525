// docker's own Go client library for credential helpers, Debian's golang-github-docker-docker-credential-helpers-dev
// (github.com/docker/docker-credential-helpers/client, the code docker and containers/image call helpers with),
// driving the binary: test/peers/credential-client is built against it once per run, offline (GOPATH mode on
// /usr/share/gocode), and prints what client.Store/Get/Erase/List returned as JSON. Run on the file store
// and on the keychain (a private, real Secret Service).
//
// What the library makes of a helper's answer: Get turns exactly `credentials not found in native keychain`
// into its not-found error (IsErrCredentialsNotFound), anything else into
// "error getting credentials - err: <exit status or a recognised message>, out: `<helper's stdout>`".
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { REPO_ROOT } from './support/paths.js';
import { get, NOT_FOUND } from './support/helper.js';
import { assertCreds, assertNotFound } from './support/asserts.js';
import { run, runOk, describe } from './support/run.js';
import { STORE_MODES, storeModeSandboxes, type StoreMode, type StoreModeSandboxes } from './support/store-modes.js';

const GOPATH = '/usr/share/gocode';
const LIBRARY = join(GOPATH, 'src/github.com/docker/docker-credential-helpers/client');
// the library imports golang.org/x/sys/execabs, but Debian's -dev package does not depend on its package
const X_SYS = join(GOPATH, 'src/golang.org/x/sys/execabs');
const SOURCE = join(REPO_ROOT, 'test/peers/credential-client');

const goVersion = await run('go', ['version'], { env: process.env, timeoutMs: 15_000 }).catch((error: Error) => ({
  code: 127,
  stdout: '',
  stderr: error.message,
}));
const problem =
  goVersion.code !== 0
    ? `no Go toolchain (apt-get install golang-go): ${goVersion.stderr.trim()}`
    : !existsSync(LIBRARY)
      ? `${LIBRARY} is missing: apt-get install golang-github-docker-docker-credential-helpers-dev`
      : !existsSync(X_SYS)
        ? `${X_SYS} is missing: apt-get install golang-golang-x-sys-dev`
        : undefined;
const goTest = (name: string, fn: () => Promise<void>) =>
  problem ? test.skip(`${name} — ${problem}`, fn) : test(name, fn);
if (problem) console.log(`[peer-go-client] skipped: ${problem}`);

interface GoCreds {
  ServerURL: string;
  Username: string;
  Secret: string;
}
interface GoAnswer {
  ok: boolean;
  credentials?: GoCreds;
  list?: Record<string, string> | null;
  error?: string;
  notFound: boolean;
}

let buildDir: string;
let program: string;
let stores: StoreModeSandboxes;

test.before(async () => {
  if (problem) return;
  buildDir = mkdtempSync(join(tmpdir(), 'lanyard-go-client-'));
  program = join(buildDir, 'credential-client');
  // offline: GOPATH mode finds the library and x/sys in Debian's tree; the cache lives and dies with this run
  const env = {
    PATH: process.env.PATH,
    HOME: buildDir,
    GO111MODULE: 'off',
    GOPATH,
    GOFLAGS: '',
    GOPROXY: 'off',
    GOCACHE: join(buildDir, 'cache'),
    CGO_ENABLED: '0',
  };
  await runOk('go', ['build', '-o', program, '.'], { env, cwd: SOURCE, timeoutMs: 180_000 });
  const version = await runOk(program, ['version'], { env, timeoutMs: 10_000 });
  console.log(`[peer-go-client] ${goVersion.stdout.trim()}; docker-credential-helpers ${version.stdout.trim()}`);
  stores = await storeModeSandboxes('peer-go-client');
});

test.after(async () => {
  await stores?.cleanup();
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});

/** One library call through the Go program; the secret of a store goes on stdin. */
async function goClient(mode: StoreMode, args: string[], stdin = ''): Promise<GoAnswer> {
  const r = await run(program, args, { env: stores.boxes[mode].env, stdin, timeoutMs: 20_000 });
  assert.is(r.code, 0, `credential-client ${args[0]} crashed\n${describe(r)}`);
  try {
    return JSON.parse(r.stdout) as GoAnswer;
  } catch {
    return assert.unreachable(`credential-client ${args[0]}: stdout is not JSON\n${describe(r)}`) as never;
  }
}
const goStore = (mode: StoreMode, server: string, username: string, secret: string) =>
  goClient(mode, ['store', server, username], secret);
const goGet = (mode: StoreMode, server: string) => goClient(mode, ['get', server]);
const goErase = (mode: StoreMode, server: string) => goClient(mode, ['erase', server]);
const goList = (mode: StoreMode) => goClient(mode, ['list']);
const keychainItemsFor = async (server: string) =>
  (await stores.keyring.items()).filter((i) => i.attributes.username?.startsWith(`${server}/`));

const OK = { ok: true, notFound: false };
const found = (ServerURL: string, Username: string, Secret: string) => ({
  ...OK,
  credentials: { ServerURL, Username, Secret },
});
const failure = (error: string) => ({ ok: false, error, notFound: false });
const MISSING = { ok: false, error: NOT_FOUND, notFound: true };
const SERVER = 'registry.peers.test';
const TOKEN_SERVER = 'token.peers.test';
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const REFRESH_TOKEN = `refresh-${randomBytes(8).toString('hex')}`;

for (const mode of STORE_MODES) {
  goTest(`[${mode}] client.Store then client.Get round-trips, and the binary answers the same login`, async () => {
    assert.equal(await goStore(mode, SERVER, 'alice', PASSWORD), OK, 'Store');
    assert.equal(await goGet(mode, SERVER), found(SERVER, 'alice', PASSWORD), 'Get');
    const url = `https://${SERVER}/v1/`;
    assert.equal(await goGet(mode, url), found(url, 'alice', PASSWORD), 'Get by URL');
    assertCreds(await get(stores.boxes[mode].env, SERVER), found(SERVER, 'alice', PASSWORD).credentials, 'binary get');
    if (mode === 'keychain') assert.is((await keychainItemsFor(SERVER)).length, 1, 'one keychain item for the login');
  });

  goTest(`[${mode}] an identity token (username <token>) round-trips`, async () => {
    assert.equal(await goStore(mode, TOKEN_SERVER, '<token>', REFRESH_TOKEN), OK, 'Store');
    assert.equal(await goGet(mode, TOKEN_SERVER), found(TOKEN_SERVER, '<token>', REFRESH_TOKEN));
  });

  goTest(`[${mode}] client.List answers exactly the stored servers and users`, async () => {
    assert.equal(await goList(mode), { ...OK, list: { [SERVER]: 'alice', [TOKEN_SERVER]: '<token>' } });
  });

  goTest(`[${mode}] client.Get of a missing server is the library's not-found (IsErrCredentialsNotFound)`, async () => {
    assert.equal(await goGet(mode, 'missing.peers.test'), MISSING);
  });

  goTest(`[${mode}] client.Erase of a missing server returns nil`, async () => {
    assert.equal(await goErase(mode, 'missing.peers.test'), OK);
  });

  goTest(`[${mode}] client.Erase removes one login and leaves the other`, async () => {
    assert.equal(await goErase(mode, SERVER), OK, 'Erase');
    assert.equal(await goGet(mode, SERVER), MISSING, 'Get after Erase');
    assertNotFound(await get(stores.boxes[mode].env, SERVER), 'binary get after Erase');
    assert.equal(await goList(mode), { ...OK, list: { [TOKEN_SERVER]: '<token>' } }, 'List after Erase');
    assert.equal(await goErase(mode, SERVER), OK, 'a second Erase');
    if (mode === 'keychain') assert.equal(await keychainItemsFor(SERVER), [], 'no keychain item left for the server');
  });

  goTest(`[${mode}] a helper failure is a real error carrying lanyard's one line, never not-found`, async () => {
    const scheme = (verb: string) => `error ${verb} credentials - err: exit status 1, out: \`unsupported scheme: ftp\``;
    assert.equal(await goGet(mode, 'ftp://registry.peers.test'), failure(scheme('getting')), 'Get');
    assert.equal(await goErase(mode, 'ftp://registry.peers.test'), failure(scheme('erasing')), 'Erase');
    // the library recognises the standard messages and says so in `err:`
    const missing = (what: string) => `error storing credentials - err: ${what}, out: \`${what}\``;
    assert.equal(await goStore(mode, SERVER, '', PASSWORD), failure(missing('no credentials username')), 'no username');
    assert.equal(await goStore(mode, '', 'alice', PASSWORD), failure(missing('no credentials server URL')), 'no URL');
  });
}

test.run();
