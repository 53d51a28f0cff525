// The clients' own logout commands against the binary, on the file store and on the keychain (a private,
// real Secret Service). No registry is needed: logout only talks to the helper and the auth files.
//
// skopeo 1.9 and podman 4.3 (containers/image 5.23) with `--authfile`:
// - `logout HOST` calls the helper's `erase` for a credHelpers-listed HOST and deletes HOST's `auths` entry;
//   a not-found from `erase` made them die with `fatal error: stack overflow` (exit 2), so erasing what is
//   not there must succeed quietly.
// - `logout --all` erases every credHelpers entry of the file, stops at the first failure (exit 1, nothing
//   removed), and on success empties both credHelpers and auths: routing to lanyard must be configured again.
// The docker CLI (client side; no engine here) erases HOST, and also http://HOST and https://HOST when those
// reach a helper (credsStore); it warns `could not erase credentials` only when every erase failed, i.e. when
// logging out of what is not there, for Docker Hub (`docker logout` with no argument) or with credsStore.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Sandbox } from './support/sandbox.js';
import { fileStoreSandbox } from './support/exchange-env.js';
import { credHelpersConfig } from './support/client-config.js';
import {
  containersClients,
  containersToolProblem,
  clientOk,
  type ContainersClients,
} from './support/clients-containers.js';
import { get, runHelper, store } from './support/helper.js';
import { assertCreds, assertNotFound, assertSilentOk } from './support/asserts.js';
import { run, describe, type RunResult } from './support/run.js';
import { STORE_MODES, storeModeSandboxes, type StoreMode, type StoreModeSandboxes } from './support/store-modes.js';

type Tool = 'skopeo' | 'podman';
interface AuthFile {
  credHelpers?: Record<string, string>;
  auths?: Record<string, unknown>;
}
const TOOLS: Tool[] = ['skopeo', 'podman'];

const probe = fileStoreSandbox('clients-logout-probe');
const versionOf = (cmd: string) =>
  run(cmd, ['--version'], { env: process.env, timeoutMs: 15_000 }).catch((error: Error) => ({
    code: 127,
    stdout: '',
    stderr: error.message,
  }));
const skopeoVersion = await versionOf('skopeo');
const problems: Record<Tool, string | undefined> = {
  skopeo: skopeoVersion.code === 0 ? undefined : `skopeo --version fails: ${skopeoVersion.stderr.trim()}`,
  podman: await containersToolProblem(probe, 'podman'),
};
probe.cleanup();
for (const tool of TOOLS) {
  const problem = problems[tool];
  const line = problem ? `${tool} tests are skipped: ${problem}` : (await versionOf(tool)).stdout.trim();
  console.log(`[clients-logout] ${line}`);
}

const DOCKER_CANDIDATES = ['/usr/local/bin/docker', '/usr/bin/docker'];
// every docker CLI on this machine (docker 28 from docker.com, Debian's docker.io 20.10), by its version
const dockerCLIs: { path: string; version: string }[] = [];
for (const path of new Set(DOCKER_CANDIDATES.filter(existsSync).map((p) => realpathSync(p)))) {
  const r = await versionOf(path);
  if (r.code === 0) dockerCLIs.push({ path, version: r.stdout.trim() });
}
console.log(`[clients-logout] docker CLIs: ${dockerCLIs.map((d) => `${d.path} (${d.version})`).join(', ') || 'none'}`);

let stores: StoreModeSandboxes;
const tools = {} as Record<StoreMode, ContainersClients>;

test.before(async () => {
  stores = await storeModeSandboxes('clients-logout');
  for (const mode of STORE_MODES) tools[mode] = containersClients(stores.boxes[mode]);
});

test.after(async () => {
  for (const t of Object.values(tools)) t.cleanup();
  await stores?.cleanup();
});

const box = (mode: StoreMode): Sandbox => stores.boxes[mode];
const secret = () => `pw-${randomBytes(8).toString('hex')}`;

const secrets = new Map<string, string>(); // `${mode} ${server}` -> the secret stored last

async function login(mode: StoreMode, server: string): Promise<void> {
  const Secret = secret();
  secrets.set(`${mode} ${server}`, Secret);
  assertSilentOk(await store(box(mode).env, { ServerURL: server, Username: 'alice', Secret }), `store ${server}`);
}
async function assertLoggedIn(mode: StoreMode, server: string, what: string): Promise<void> {
  const Secret = secrets.get(`${mode} ${server}`) ?? 'never stored';
  assertCreds(await get(box(mode).env, server), { ServerURL: server, Username: 'alice', Secret }, what);
}
/** Keychain items left for these hosts (none in file mode). */
async function keychainItemsFor(mode: StoreMode, hosts: string[]): Promise<string[]> {
  if (mode !== 'keychain') return [];
  const items = await stores.keyring.items();
  return items.map((i) => i.attributes.username ?? '').filter((u) => hosts.some((h) => u.startsWith(`${h}/`)));
}
/** A logout that worked: exit 0, and nothing about the helper failing. */
function logoutOk(r: RunResult, what: string): void {
  clientOk(r, what);
  const failed = /could not erase|error erasing|fatal error|stack overflow/i;
  assert.not.match(r.stderr, failed, `${what}: the helper's erase failed\n${describe(r)}`);
}

// ---- skopeo and podman, through containers/image ----

function containersLogout(mode: StoreMode, tool: Tool, args: string[]): Promise<RunResult> {
  const t = tools[mode];
  if (tool === 'podman') return t.podman(t.storage('logout'), ['logout', ...args]);
  const env = { ...box(mode).env, CONTAINERS_REGISTRIES_CONF: t.registriesConf };
  return run('skopeo', ['logout', ...args], { env, timeoutMs: 30_000 });
}

for (const mode of STORE_MODES) {
  for (const tool of TOOLS) {
    const host = (name: string) => `${tool}-${name}.logout.test`;
    const [A, B, NEVER, PLAIN, ELSEWHERE] = [host('a'), host('b'), host('never'), host('plain'), host('elsewhere')];
    const authFile = () => join(box(mode).root, `${tool}-auth.json`);
    // lanyard for A, B and NEVER (never logged in); a plain base64 login for PLAIN, as `skopeo login` writes
    const initialAuth = () => ({
      ...credHelpersConfig([A, B, NEVER]),
      auths: { [PLAIN]: { auth: Buffer.from(`bob:${secret()}`).toString('base64') } },
    });
    const readAuth = () => JSON.parse(readFileSync(authFile(), 'utf8')) as AuthFile;
    const logout = (args: string[]) => containersLogout(mode, tool, ['--authfile', authFile(), ...args]);
    const toolTest = (name: string, fn: () => Promise<void>) => {
      const problem = problems[tool];
      if (problem) test.skip(`[${mode}] ${tool}: ${name} — cannot run here: ${problem}`, fn);
      else test(`[${mode}] ${tool}: ${name}`, fn);
    };

    toolTest('logout of a credHelpers registry with no lanyard login exits 0 and changes nothing', async () => {
      const auth = initialAuth();
      writeFileSync(authFile(), JSON.stringify(auth, null, 2), { mode: 0o600 });
      for (const server of [A, B, ELSEWHERE]) await login(mode, server);
      const items = await keychainItemsFor(mode, [A, B, ELSEWHERE]);
      if (mode === 'keychain') assert.is(items.length, 3, `one keychain item a login: ${items.join(', ')}`);
      logoutOk(await logout([NEVER]), `${tool} logout ${NEVER}`);
      for (const server of [A, B, ELSEWHERE]) await assertLoggedIn(mode, server, `${server} after logout of ${NEVER}`);
      assertNotFound(await get(box(mode).env, NEVER), `${NEVER} is still not logged in`);
      assert.equal(readAuth(), auth, 'the auth file is unchanged');
    });

    toolTest('logout of a registry with a lanyard login erases it; the other logins stay', async () => {
      logoutOk(await logout([A]), `${tool} logout ${A}`);
      assertNotFound(await get(box(mode).env, A), `get ${A} after logout`);
      assert.equal(await keychainItemsFor(mode, [A]), [], `no keychain item left for ${A}`);
      for (const server of [B, ELSEWHERE]) await assertLoggedIn(mode, server, `${server} after logout of ${A}`);
      const auth = readAuth();
      assert.equal(auth.credHelpers, credHelpersConfig([A, B, NEVER]).credHelpers, 'credHelpers kept');
      assert.ok(auth.auths?.[PLAIN], `the plain login for ${PLAIN} kept: ${JSON.stringify(auth)}`);
      logoutOk(await logout([A]), `a second ${tool} logout ${A}`);
    });

    toolTest('logout --all erases every lanyard login the auth file routes, and its plain login', async () => {
      await login(mode, A);
      logoutOk(await logout(['--all']), `${tool} logout --all`);
      for (const server of [A, B, NEVER]) {
        assertNotFound(await get(box(mode).env, server), `get ${server} after logout --all`);
      }
      assert.equal(await keychainItemsFor(mode, [A, B, NEVER]), [], 'no keychain item left for the routed hosts');
      const auth = readAuth();
      assert.equal(auth.auths ?? {}, {}, `the plain login is gone: ${JSON.stringify(auth)}`);
      await assertLoggedIn(mode, ELSEWHERE, 'a lanyard login the auth file does not route is not touched');
    });
  }
}

// ---- the docker CLI ----

const HUB = 'https://index.docker.io/v1/';

for (const mode of STORE_MODES) {
  for (const [i, cli] of dockerCLIs.entries()) {
    const HOST = `docker${i}.logout.test`;
    const label = `[${mode}] ${cli.version}`;
    const configDir = (name: string) => box(mode).dir(`docker${i}-${name}`);
    const docker = (dir: string, args: string[]) =>
      run(cli.path, args, {
        // never talk to a real engine, even if one appears on this machine
        env: { ...box(mode).env, DOCKER_CONFIG: dir, DOCKER_HOST: `unix://${join(box(mode).root, 'no-docker.sock')}` },
        timeoutMs: 30_000,
      });
    /** `docker logout [server]` twice: the first erases `erased`, the second finds nothing; neither warns. */
    async function logoutTwice(dir: string, args: string[], erased: string): Promise<void> {
      const shown = args[0] === undefined ? HUB : HOST;
      for (const attempt of ['first', 'second']) {
        const r = await docker(dir, ['logout', ...args]);
        logoutOk(r, `${attempt} docker logout ${args.join(' ')}`);
        assert.ok(r.stdout.includes(`Removing login credentials for ${shown}`), describe(r));
        assertNotFound(await get(box(mode).env, erased), `get ${erased} after the ${attempt} logout`);
      }
    }

    test(`${label}: after configure, docker logout HOST erases the login; a second does not warn`, async () => {
      const dir = configDir('helpers');
      const configure = ['configure', '--registry', HOST, '--registry', 'docker.io'];
      clientOk(await runHelper(configure, { env: { ...box(mode).env, DOCKER_CONFIG: dir } }), 'configure');
      await login(mode, HOST);
      await logoutTwice(dir, [HOST], HOST);
    });

    test(`${label}: docker logout (Docker Hub) erases the Hub login; a second does not warn`, async () => {
      await login(mode, HUB);
      await logoutTwice(configDir('helpers'), [], HUB);
    });

    test(`${label}: with credsStore lanyard, docker logout https://HOST/ twice does not warn`, async () => {
      const dir = configDir('store');
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ credsStore: 'lanyard' }), { mode: 0o600 });
      await login(mode, HOST);
      await logoutTwice(dir, [`https://${HOST}/`], HOST);
    });
  }
}
if (dockerCLIs.length === 0) {
  const where = DOCKER_CANDIDATES.join(' or ');
  test.skip(`docker logout — no docker CLI at ${where} (apt-get install docker.io)`, () => {});
}

test.run();
