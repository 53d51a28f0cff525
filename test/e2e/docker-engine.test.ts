// The real Docker Engine (Debian's dockerd, started privately by support/docker-engine.ts) pushing and
// pulling with the credentials the docker CLI gets from lanyard through `credHelpers`, with both stores:
// the keychain (a private gnome-keyring over Secret Service) and the file store.
//
// How the pieces talk: the CLI runs the helper (`get` before a push or pull, `store` after a login, `erase`
// at logout) and hands the credentials to the engine, which talks to the registry. `docker login` with a
// password is checked by the engine (POST /auth), so its refusals start with "Error response from daemon".
//
// Two registries: Debian's docker-registry with htpasswd, and one with token auth whose token server takes
// `iambearer` + an IAM access token, and — as icr.io's does — `iamapikey` + the API key itself, which is what
// `docker login -u iamapikey` presents. After that login lanyard holds the key and hands out only IAM tokens.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { accessSync, constants, existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import * as registryFixture from '../fixtures/token-registry.js';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { startRegistry, type Registry } from './support/registry.js';
import { get } from './support/helper.js';
import { assertCreds, assertNotFound } from './support/asserts.js';
import { parseCreds } from './support/exchange-env.js';
import { describe, type RunResult } from './support/run.js';
import { clientOk } from './support/clients-containers.js';
import {
  dockerCli,
  dockerClientEnv,
  dockerVersions,
  imageId,
  importTinyImage,
  startDockerEngine,
  type DockerEngine,
} from './support/docker-engine.js';

type Mode = 'file' | 'keychain';
const MODES: Mode[] = ['file', 'keychain'];
const USER = 'alice';
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
const APIKEY = `engine-key-${randomBytes(16).toString('hex')}`;
/** Debian's own docker CLI (docker.io), when another one comes first on PATH. */
const DEBIAN_CLI = '/usr/bin/docker';

let engine: DockerEngine | undefined;
let keyring: Keyring | undefined;
let registry: Registry | undefined;
let iam: iamFixture.IamHandle | undefined;
let tokenRegistry: registryFixture.TokenRegistryHandle | undefined;
const boxes = {} as Record<Mode, Sandbox>;
const envs = {} as Record<Mode, NodeJS.ProcessEnv>;
const configs = {} as Record<Mode, string>;
/** Every password the token server was asked to accept as `iambearer`. */
const presented: string[] = [];

test.before(async () => {
  try {
    engine = await startDockerEngine('engine');
    for (const mode of MODES) boxes[mode] = createSandbox(`engine-${mode}`);
    keyring = await startKeyring(boxes.keychain);
    registry = await startRegistry(boxes.file, { [USER]: PASSWORD });
    iam = await iamFixture.start({ apikeys: [APIKEY] });
    tokenRegistry = await registryFixture.start({
      iam: {
        validateToken: (token: string) => {
          presented.push(token);
          return iam!.validateToken(token);
        },
      },
      accounts: [['iamapikey', APIKEY]],
    });
    for (const mode of MODES) {
      const hosts = [registry.host, tokenRegistry.host];
      ({ env: envs[mode], config: configs[mode] } = dockerClientEnv(boxes[mode], engine, hosts, {
        DBUS_SESSION_BUS_ADDRESS: keyring.address,
        LANYARD_STORE: mode,
        LANYARD_IAM_ENDPOINT: iam.url,
      }));
    }
    console.log(`[docker-engine] docker ${await dockerVersions(envs.file)}`);
  } catch (error) {
    console.error('[docker-engine] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await engine?.stop();
  } catch (error) {
    console.error('[docker-engine] engine stop:', error);
  }
  try {
    await tokenRegistry?.stop();
  } catch (error) {
    console.error('[docker-engine] token registry stop:', error);
  }
  try {
    await iam?.stop();
  } catch (error) {
    console.error('[docker-engine] iam stop:', error);
  }
  try {
    await registry?.stop();
  } catch (error) {
    console.error('[docker-engine] registry stop:', error);
  }
  try {
    await keyring?.stop();
  } catch (error) {
    console.error('[docker-engine] keyring stop:', error);
  }
  for (const sb of Object.values(boxes)) sb.cleanup();
});

/** The first `command` on this process's PATH (the one the sandboxed CLI runs too), or `command`. */
function onPath(command: string): string {
  const executable = (path: string) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  return (
    (process.env.PATH ?? '')
      .split(':')
      .map((dir) => join(dir, command))
      .find(executable) ?? command
  );
}

const docker = (mode: Mode, args: string[], stdin?: string, cli?: string): Promise<RunResult> =>
  dockerCli(envs[mode], args, { stdin, cli });

/** A pull or push the registry refused for want of credentials (not a helper failure). */
function refused(r: RunResult, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is.not(r.code, 0, `${what}: expected a refusal\n${describe(r)}`);
  assert.match(r.stderr, /no basic auth credentials|unauthorized|authentication required/i, `${what}\n${describe(r)}`);
  const helperFailure = /error getting credentials|credential helper|lanyard/i;
  assert.not.match(r.stderr, helperFailure, `${what}: the helper failed\n${describe(r)}`);
}

function assertConfigHoldsNo(mode: Mode, user: string, secret: string): void {
  const text = readFileSync(configs[mode], 'utf8');
  assert.not.ok(text.includes(secret), `config.json holds the secret:\n${text}`);
  const auth = Buffer.from(`${user}:${secret}`).toString('base64');
  assert.not.ok(text.includes(auth), `config.json holds an auth:\n${text}`);
}

/** The keychain items of the login for `host` (lanyard's items name the server first). */
const keychainItems = async (host: string) =>
  (await keyring!.items()).filter((i) => i.attributes.username?.startsWith(`${host}/`));

/**
 * Imports a fresh tiny image, pushes it as `ref`, removes it from the engine and pulls it back, so that
 * the pull really fetches it from the registry. `cli` is the docker CLI binary used for push and pull.
 */
async function pushThenPullBack(mode: Mode, ref: string, cli?: string): Promise<void> {
  const pushedId = await importTinyImage(envs[mode], boxes[mode].dir(`image-${randomBytes(3).toString('hex')}`), ref);
  clientOk(await docker(mode, ['push', ref], undefined, cli), `docker push ${ref}`);
  clientOk(await docker(mode, ['rmi', ref]), `docker rmi ${ref}`);
  assert.is(await imageId(envs[mode], ref), '', 'the image is gone from the engine before the pull');
  const pulled = await docker(mode, ['pull', ref], undefined, cli);
  clientOk(pulled, `docker pull ${ref}`);
  assert.match(pulled.stdout, /Downloaded newer image|Pull complete/, `the pull fetched it\n${describe(pulled)}`);
  assert.is(await imageId(envs[mode], ref), pushedId, 'the same image came back');
}

async function assertLoggedOutAndPullRefused(mode: Mode, host: string, ref: string): Promise<void> {
  if (mode === 'keychain') assert.ok((await keychainItems(host)).length > 0, 'the login was in the keychain');
  const out = await docker(mode, ['logout', host]);
  clientOk(out, 'docker logout');
  assert.ok(out.stdout.includes(`Removing login credentials for ${host}`), describe(out));
  assertNotFound(await get(envs[mode], host), 'get after logout');
  if (mode === 'keychain') {
    assert.equal(await keychainItems(host), [], 'logout leaves no keychain item behind');
  }
  clientOk(await docker(mode, ['rmi', ref]), `docker rmi ${ref}`);
  refused(await docker(mode, ['pull', ref]), 'docker pull after logout');
}

for (const mode of MODES) {
  // ---- htpasswd registry ----

  test(`[${mode}] docker login: the engine checks the password, lanyard stores it`, async () => {
    const wrong = await docker(mode, ['login', registry!.host, '-u', USER, '--password-stdin'], 'wrong-password');
    assert.is(wrong.code, 1, `a wrong password must be refused\n${describe(wrong)}`);
    const engineRefusal = /Error response from daemon: .*(401|unauthorized)/i;
    assert.match(wrong.stderr, engineRefusal, `the engine refused it\n${describe(wrong)}`);
    assertNotFound(await get(envs[mode], registry!.host), 'nothing stored after a refused login');

    const r = await docker(mode, ['login', registry!.host, '-u', USER, '--password-stdin'], PASSWORD);
    clientOk(r, 'docker login');
    assert.ok(r.stdout.includes('Login Succeeded'), describe(r));
    const saved = { ServerURL: registry!.host, Username: USER, Secret: PASSWORD };
    assertCreds(await get(envs[mode], registry!.host), saved, 'lanyard get');
    assertConfigHoldsNo(mode, USER, PASSWORD);
  });

  test(`[${mode}] docker login with no password: the engine accepts the login lanyard holds`, async () => {
    const r = await docker(mode, ['login', registry!.host]);
    clientOk(r, 'docker login with the saved login');
    assert.ok(r.stderr.includes(`Authenticating with existing credentials... [Username: ${USER}]`), describe(r));
    assert.ok(r.stdout.includes('Login Succeeded'), describe(r));
  });

  test(`[${mode}] docker push, then docker pull into an engine without the image`, async () => {
    await pushThenPullBack(mode, `${registry!.host}/${mode}/tiny:1`);
  });

  if (mode === 'file' && existsSync(DEBIAN_CLI) && realpathSync(onPath('docker')) !== realpathSync(DEBIAN_CLI)) {
    test(`[${mode}] Debian's docker CLI (${DEBIAN_CLI}) pushes and pulls through lanyard too`, async () => {
      console.log(`[docker-engine] ${DEBIAN_CLI}: ${await dockerVersions(envs[mode], DEBIAN_CLI)}`);
      await pushThenPullBack(mode, `${registry!.host}/${mode}/debian-cli:1`, DEBIAN_CLI);
    });
  }

  test(`[${mode}] docker logout erases through lanyard; the next pull is refused`, async () => {
    await assertLoggedOutAndPullRefused(mode, registry!.host, `${registry!.host}/${mode}/tiny:1`);
  });

  // ---- token-auth registry with an IBM Cloud API key ----

  test(`[${mode}] token registry: iamapikey login, push, pull; it sees only iambearer, one IAM exchange`, async () => {
    const host = tokenRegistry!.host;
    const exchangesBefore = iam!.counts.byApikey[APIKEY] ?? 0;
    const requestsBefore = tokenRegistry!.requests.length;
    const presentedBefore = presented.length;

    const login = await docker(mode, ['login', host, '-u', 'iamapikey', '--password-stdin'], APIKEY);
    clientOk(login, 'docker login -u iamapikey');
    assertConfigHoldsNo(mode, 'iamapikey', APIKEY);
    assert.is(iam!.counts.byApikey[APIKEY] ?? 0, exchangesBefore, 'a login stores the key without asking IAM');

    await pushThenPullBack(mode, `${host}/${mode}/tiny:1`);
    const creds = parseCreds(await get(envs[mode], host), 'lanyard get');
    assert.is(creds.Username, 'iambearer', 'lanyard answers iambearer');
    assert.ok(iam!.validateToken(creds.Secret).ok, 'with a valid IAM access token');

    const exchanges = (iam!.counts.byApikey[APIKEY] ?? 0) - exchangesBefore;
    assert.is(exchanges, 1, 'one IAM exchange served the push, the pull and the get');
    const logins = tokenRegistry!.requests.slice(requestsBefore).filter((r) => r.username !== null);
    assert.is(logins[0]?.username, 'iamapikey', 'the engine checked the login with the key');
    const after = logins.slice(1);
    assert.ok(after.length >= 2, `the push and the pull presented credentials (${after.length})`);
    assert.equal([...new Set(after.map((r) => r.username))], ['iambearer'], 'then the registry saw only iambearer');
    assert.ok(
      after.every((r) => r.granted),
      'every iambearer login was granted',
    );
    const tokens = presented.slice(presentedBefore);
    const onlyTokens = tokens.length > 0 && tokens.every((t) => t !== APIKEY && iam!.validateToken(t).ok);
    assert.ok(onlyTokens, 'only IAM tokens, never the key');
  });

  test(`[${mode}] token registry: after docker logout, a pull is refused`, async () => {
    await assertLoggedOutAndPullRefused(mode, tokenRegistry!.host, `${tokenRegistry!.host}/${mode}/tiny:1`);
  });
}

test('the engine stops by its PID and leaves no process behind', async () => {
  const pid = engine!.pid;
  const stopped = await engine!.stop();
  assert.is(stopped.killed, false, 'dockerd ended on SIGTERM');
  assert.equal(stopped.leftovers, [], 'no dockerd or containerd of this engine outlived it');
  assert.throws(() => process.kill(pid, 0), 'dockerd is gone');
});

test.run();
