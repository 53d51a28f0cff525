// The docker CLI on its own (no engine reachable) saving and erasing registry logins through
// docker-credential-lanyard, selected by `credHelpers` in $DOCKER_CONFIG/config.json. The same CLI
// with a real Docker Engine (login checked by the engine, push, pull) is in docker-engine.test.ts.
//
// What docker 28 does without a daemon (observed with 28.2.2):
// - `docker login HOST -u U --password-stdin` logs in client-side: it tries https://HOST/v2/, falls back to
//   http:// (127.0.0.0/8 is an insecure registry by default), checks the password against the registry,
//   then calls the helper's `store`. No daemon needed, so this is tested fully.
// - `docker login HOST` with no username reads the stored login with the helper's `get`
//   ("Authenticating with existing credentials... [Username: U]"), then validates it through the daemon,
//   which fails here ("Cannot connect to the Docker daemon"), so that command exits 1. The test asserts
//   only the part that does not need a daemon: docker got the username from lanyard.
// - `docker logout HOST` calls the helper's `erase` (no daemon needed).
// - `docker pull/push` need the daemon: see docker-engine.test.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { startRegistry, type Registry } from './support/registry.js';
import { writeDockerConfig } from './support/client-config.js';
import { get, listParsed } from './support/helper.js';
import { assertCreds, assertNotFound } from './support/asserts.js';
import { run, describe, type RunResult } from './support/run.js';

type Mode = 'file' | 'keychain';
const MODES: Mode[] = ['file', 'keychain'];
const USER = 'alice';
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

const boxes = {} as Record<Mode, Sandbox>;
let keyring: Keyring | undefined;
let registry: Registry | undefined;
const clients = {} as Record<Mode, { env: NodeJS.ProcessEnv; config: string }>;

test.before(async () => {
  try {
    for (const mode of MODES) boxes[mode] = createSandbox(`docker-${mode}`);
    keyring = await startKeyring(boxes.keychain);
    registry = await startRegistry(boxes.file, { [USER]: PASSWORD });
    for (const mode of MODES) {
      const sb = boxes[mode];
      const dockerDir = sb.dir('docker-config');
      clients[mode] = {
        config: writeDockerConfig(dockerDir, [registry.host]),
        env: {
          ...sb.env,
          DBUS_SESSION_BUS_ADDRESS: keyring.address,
          LANYARD_STORE: mode,
          DOCKER_CONFIG: dockerDir,
          // never talk to a real engine, even if one appears on this machine
          DOCKER_HOST: `unix://${join(sb.root, 'no-docker-daemon.sock')}`,
        },
      };
    }
  } catch (err) {
    console.error('[docker-cli] setup failed:', err);
    throw err;
  }
});

test.after(async () => {
  try {
    await registry?.stop();
  } catch (err) {
    console.error('[docker-cli] registry stop:', err);
  }
  try {
    await keyring?.stop();
  } catch (err) {
    console.error('[docker-cli] keyring stop:', err);
  }
  for (const sb of Object.values(boxes)) sb.cleanup();
});

const docker = (mode: Mode, args: string[], stdin?: string): Promise<RunResult> =>
  run('docker', args, { env: clients[mode].env, stdin, timeoutMs: 30_000 });

function assertConfigHoldsNoPassword(mode: Mode): void {
  const text = readFileSync(clients[mode].config, 'utf8');
  assert.not.ok(text.includes(PASSWORD), `config.json holds the password:\n${text}`);
  assert.not.ok(
    text.includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')),
    `config.json holds a base64 auth:\n${text}`,
  );
  const cfg = JSON.parse(text) as {
    credHelpers?: Record<string, string>;
    auths?: Record<string, Record<string, unknown>>;
  };
  assert.is(cfg.credHelpers?.[registry!.host], 'lanyard', 'credHelpers kept');
  const entry = cfg.auths?.[registry!.host] ?? {};
  assert.not.ok(
    'auth' in entry || 'password' in entry || 'identitytoken' in entry,
    `auths entry holds a credential: ${JSON.stringify(entry)}`,
  );
}

for (const mode of MODES) {
  test(`[${mode}] docker login --password-stdin saves through lanyard`, async () => {
    const r = await docker(mode, ['login', registry!.host, '-u', USER, '--password-stdin'], PASSWORD);
    assert.is(r.code, 0, `docker login failed\n${describe(r)}`);
    assert.ok(r.stdout.includes('Login Succeeded'), describe(r));
    assertCreds(
      await get(clients[mode].env, registry!.host),
      { ServerURL: registry!.host, Username: USER, Secret: PASSWORD },
      'lanyard get',
    );
    assert.is((await listParsed(clients[mode].env))[registry!.host], USER, 'lanyard list');
    assertConfigHoldsNoPassword(mode);
  });

  test(`[${mode}] a failed docker login leaves the saved login alone`, async () => {
    const r = await docker(mode, ['login', registry!.host, '-u', 'mallory', '--password-stdin'], 'wrong-password');
    assert.is(r.code, 1, `docker login with a wrong password must fail\n${describe(r)}`);
    assert.ok(/401|unauthorized/i.test(r.stderr), describe(r));
    assertCreds(
      await get(clients[mode].env, registry!.host),
      { ServerURL: registry!.host, Username: USER, Secret: PASSWORD },
      'lanyard get',
    );
  });

  test(`[${mode}] docker reads the saved login through lanyard get`, async () => {
    const r = await docker(mode, ['login', registry!.host]);
    // exits 1: validating stored credentials needs the daemon (see the comment at the top)
    assert.ok(
      r.stderr.includes(`Authenticating with existing credentials... [Username: ${USER}]`),
      `docker did not find the saved login\n${describe(r)}`,
    );
    assert.not.ok(r.stdout.includes(PASSWORD) || r.stderr.includes(PASSWORD), 'password shown');
    assertCreds(
      await get(clients[mode].env, registry!.host),
      { ServerURL: registry!.host, Username: USER, Secret: PASSWORD },
      'login still saved',
    );
  });

  test(`[${mode}] docker logout erases through lanyard`, async () => {
    const r = await docker(mode, ['logout', registry!.host]);
    assert.is(r.code, 0, `docker logout failed\n${describe(r)}`);
    assert.ok(r.stdout.includes(`Removing login credentials for ${registry!.host}`), describe(r));
    assertNotFound(await get(clients[mode].env, registry!.host), 'get after logout');
    assert.is((await listParsed(clients[mode].env))[registry!.host], undefined, 'list after logout');
    if (mode === 'keychain') {
      const left = (await keyring!.items()).filter((i) => i.attributes.username?.startsWith(`${registry!.host}/`));
      assert.equal(left, [], 'logout leaves no keychain item behind');
    }
    const again = await docker(mode, ['login', registry!.host]);
    assert.not.ok(
      again.stderr.includes('Authenticating with existing credentials'),
      `docker still finds a login\n${describe(again)}`,
    );
  });

  test(`[${mode}] docker login with a URL form saves under the host`, async () => {
    const r = await docker(mode, ['login', `http://${registry!.host}/v2/`, '-u', USER, '--password-stdin'], PASSWORD);
    assert.is(r.code, 0, `docker login failed\n${describe(r)}`);
    assertCreds(
      await get(clients[mode].env, registry!.host),
      { ServerURL: registry!.host, Username: USER, Secret: PASSWORD },
      'lanyard get',
    );
    assertConfigHoldsNoPassword(mode);
    const out = await docker(mode, ['logout', registry!.host]);
    assert.is(out.code, 0, describe(out));
    assertNotFound(await get(clients[mode].env, registry!.host), 'get after logout');
  });
}

test.run();
