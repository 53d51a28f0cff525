// After `configure`, the clients' own login commands store into lanyard: plain `docker login` (docker CLI,
// no engine: see docker-cli.test.ts) through credHelpers in $DOCKER_CONFIG/config.json, and `podman login`
// (podman 4.3 on Debian 12) through credHelpers in containers' auth.json after `configure --containers`, and
// also with credHelpers only in $DOCKER_CONFIG/config.json. Proven with `docker-credential-lanyard get`, and no
// config or auth file may hold the password.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Sandbox } from './support/sandbox.js';
import { fileStoreSandbox } from './support/exchange-env.js';
import { startRegistry, type Registry } from './support/registry.js';
import { get, listParsed, runHelper } from './support/helper.js';
import { assertCreds, assertNotFound } from './support/asserts.js';
import { run, describe, type RunResult } from './support/run.js';
import { containersClients, containersToolProblem, type ContainersClients } from './support/clients-containers.js';

const USERS = { alice: `pw-a-${randomBytes(8).toString('hex')}`, bob: `pw-b-${randomBytes(8).toString('hex')}` };

const probe = fileStoreSandbox('clients-login-probe');
const podmanProblem = await containersToolProblem(probe, 'podman');
probe.cleanup();
if (podmanProblem) console.log(`[clients-login] podman cannot run here, its tests are skipped: ${podmanProblem}`);
// docker-cli.test.ts documents what the docker CLI does without an engine (login is client-side since 23.0)
const dockerVersion = await run('docker', ['--version'], { env: process.env, timeoutMs: 10_000 }).catch(
  (error: Error) => ({ code: 127, stdout: '', stderr: error.message }),
);
const dockerProblem = dockerVersion.code === 0 ? undefined : `no docker CLI on PATH (${dockerVersion.stderr.trim()})`;
if (dockerProblem) console.log(`[clients-login] docker tests are skipped: ${dockerProblem}`);

const boxes: Sandbox[] = [];
const toolSets: ContainersClients[] = [];
let sb: Sandbox;
let registry: Registry | undefined;
let tools: ContainersClients;

function box(label: string): Sandbox {
  const s = fileStoreSandbox(`clients-login-${label}`);
  boxes.push(s);
  s.env.DOCKER_CONFIG = s.dir('docker-config');
  // never talk to a real engine, even if one appears on this machine
  s.env.DOCKER_HOST = `unix://${join(s.root, 'no-docker-daemon.sock')}`;
  return s;
}
function clientsFor(s: Sandbox): ContainersClients {
  const t = containersClients(s);
  toolSets.push(t);
  return t;
}

test.before(async () => {
  try {
    sb = box('main');
    registry = await startRegistry(sb, USERS);
    tools = clientsFor(sb);
  } catch (error) {
    console.error('[clients-login] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await registry?.stop();
  } catch (error) {
    console.error('[clients-login] registry stop:', error);
  }
  for (const t of toolSets) t.cleanup();
  for (const s of boxes) s.cleanup();
});

const dockerConfig = (s: Sandbox) => join(s.env.DOCKER_CONFIG!, 'config.json');
const runtimeAuth = (s: Sandbox) => join(s.runtimeDir, 'containers', 'auth.json');
const userAuth = (s: Sandbox) => join(s.configHome, 'containers', 'auth.json');
const docker = (s: Sandbox, args: string[], stdin?: string) =>
  run('docker', args, { env: s.env, stdin, timeoutMs: 30_000 });
const podmanLogin = (t: ContainersClients, user: string, password: string) =>
  t.podman(t.storage('login'), ['login', '--tls-verify=false', '-u', user, '--password-stdin', registry!.host], {
    stdin: password,
  });

function assertNoPasswordIn(paths: string[]): void {
  for (const path of paths.filter(existsSync)) {
    const text = readFileSync(path, 'utf8');
    for (const [user, password] of Object.entries(USERS)) {
      assert.not.ok(text.includes(password), `${path} holds ${user}'s password:\n${text}`);
      assert.not.ok(
        text.includes(Buffer.from(`${user}:${password}`).toString('base64')),
        `${path} holds ${user}'s base64 auth:\n${text}`,
      );
    }
  }
}
function ok(r: RunResult, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is(r.code, 0, `${what} failed\n${describe(r)}`);
}
const podmanTest = (name: string, fn: () => Promise<void>) =>
  podmanProblem ? test.skip(`${name} — podman cannot run here: ${podmanProblem}`, fn) : test(name, fn);
const dockerTest = (name: string, fn: () => Promise<void>) =>
  dockerProblem ? test.skip(`${name} — ${dockerProblem}`, fn) : test(name, fn);

test('configure --registry HOST --containers before any login routes the host to lanyard in 3 files', async () => {
  const r = await runHelper(['configure', '--registry', registry!.host, '--containers'], { env: sb.env });
  ok(r, 'configure');
  assert.equal(JSON.parse(readFileSync(dockerConfig(sb), 'utf8')).credHelpers, { [registry!.host]: 'lanyard' });
  for (const path of [runtimeAuth(sb), userAuth(sb)]) {
    assert.equal(JSON.parse(readFileSync(path, 'utf8')), { credHelpers: { [registry!.host]: 'lanyard' } }, path);
  }
});

dockerTest(
  'plain `docker login` stores into lanyard; config.json keeps credHelpers and holds no password',
  async () => {
    const r = await docker(sb, ['login', registry!.host, '-u', 'alice', '--password-stdin'], USERS.alice);
    ok(r, 'docker login');
    assert.match(r.stdout, 'Login Succeeded');
    assertCreds(
      await get(sb.env, registry!.host),
      { ServerURL: registry!.host, Username: 'alice', Secret: USERS.alice },
      'lanyard get after docker login',
    );
    assert.is((await listParsed(sb.env))[registry!.host], 'alice', 'lanyard list');
    const config = JSON.parse(readFileSync(dockerConfig(sb), 'utf8'));
    assert.is(config.credHelpers[registry!.host], 'lanyard', 'docker kept credHelpers when it rewrote config.json');
    assertNoPasswordIn([dockerConfig(sb), runtimeAuth(sb), userAuth(sb)]);
  },
);

dockerTest(
  "configure after docker login: nothing to change, and docker's empty auths entry is not a warning",
  async () => {
    const r = await runHelper(['configure', '--registry', registry!.host, '--containers'], { env: sb.env });
    ok(r, 'configure again');
    assert.is(r.stdout, 'nothing to change: already configured\n', describe(r));
    assert.is(r.stderr, '', describe(r));
  },
);

podmanTest(
  "plain `podman login` stores into lanyard (replacing docker's login); no file holds a password",
  async () => {
    if (dockerProblem)
      ok(
        await runHelper(['login', registry!.host, '-u', 'alice', '--password-stdin'], {
          env: sb.env,
          stdin: USERS.alice,
        }),
        'stand-in for docker login',
      );
    const bad = await podmanLogin(tools, 'bob', 'wrong-password');
    assert.is.not(bad.code, 0, `podman login with a wrong password must fail\n${describe(bad)}`);
    assertCreds(
      await get(sb.env, registry!.host),
      { ServerURL: registry!.host, Username: 'alice', Secret: USERS.alice },
      'a failed podman login changes nothing',
    );
    const r = await podmanLogin(tools, 'bob', USERS.bob);
    ok(r, 'podman login');
    assert.match(r.stdout, 'Login Succeeded');
    assertCreds(
      await get(sb.env, registry!.host),
      { ServerURL: registry!.host, Username: 'bob', Secret: USERS.bob },
      'lanyard get after podman login',
    );
    assertNoPasswordIn([dockerConfig(sb), runtimeAuth(sb), userAuth(sb)]);
    assert.equal(
      JSON.parse(readFileSync(runtimeAuth(sb), 'utf8')).credHelpers,
      { [registry!.host]: 'lanyard' },
      'podman kept credHelpers',
    );
  },
);

podmanTest('`podman logout` erases through lanyard', async () => {
  const r = await tools.podman(tools.storage('logout'), ['logout', registry!.host]);
  ok(r, 'podman logout');
  assertNotFound(await get(sb.env, registry!.host), 'get after podman logout');
});

podmanTest(
  'configure without --containers is enough for `podman login` too: it finds credHelpers in $DOCKER_CONFIG/config.json',
  async () => {
    const s = box('no-containers');
    const t = clientsFor(s);
    ok(await runHelper(['configure', '--registry', registry!.host], { env: s.env }), 'configure (docker config only)');
    assert.not.ok(existsSync(runtimeAuth(s)) || existsSync(userAuth(s)), 'no containers auth file written');
    ok(await podmanLogin(t, 'alice', USERS.alice), 'podman login');
    assertCreds(
      await get(s.env, registry!.host),
      { ServerURL: registry!.host, Username: 'alice', Secret: USERS.alice },
      'lanyard get after podman login',
    );
    assertNoPasswordIn([dockerConfig(s), runtimeAuth(s), userAuth(s)]);
    const r = await runHelper(['configure', '--registry', registry!.host], { env: s.env });
    ok(r, 'configure again');
    assert.is(r.stderr, '', `no shadowing login was left behind\n${describe(r)}`);
  },
);

test.run();
