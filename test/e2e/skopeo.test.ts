// The key end-to-end test: a real client (skopeo) pushes to and pulls from a real registry
// (docker-registry with htpasswd) using credentials it gets only from docker-credential-lanyard,
// found through `credHelpers` in the auth file. Run on the file store and on the keychain.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { startRegistry, type Registry } from './support/registry.js';
import { buildImage, ociDigest, type OciImage } from './support/image.js';
import { writeAuthFile } from './support/client-config.js';
import { store, get, erase } from './support/helper.js';
import { assertSilentOk, assertCreds, assertNotFound } from './support/asserts.js';
import { run, describe, type RunResult } from './support/run.js';

type Mode = 'file' | 'keychain';
const MODES: Mode[] = ['file', 'keychain'];
const USER = 'alice';
const PASSWORD = `pw-${randomBytes(8).toString('hex')}`;
// what a registry says when it got no or bad credentials (distribution 2.8: `unauthorized: authentication required`)
const AUTH_ERROR = /unauthorized|authentication required|invalid username\/password/i;
// what containers/image says when the helper itself failed (anything but not-found)
const HELPER_ERROR = /errors? looking up credentials|getting username and password|error getting credentials/i;

const boxes = {} as Record<Mode, Sandbox>;
let keyring: Keyring | undefined;
let registry: Registry | undefined;
let image: OciImage;

interface Client {
  env: NodeJS.ProcessEnv;
  authFile: string;
  policy: string;
}
const clients = {} as Record<Mode, Client>;

test.before(async () => {
  try {
    for (const mode of MODES) boxes[mode] = createSandbox(`skopeo-${mode}`);
    keyring = await startKeyring(boxes.keychain);
    registry = await startRegistry(boxes.file, { [USER]: PASSWORD });
    image = await buildImage(boxes.file);
    for (const mode of MODES) {
      const sb = boxes[mode];
      const policy = join(sb.root, 'policy.json');
      writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
      const registriesConf = join(sb.root, 'registries.conf');
      writeFileSync(registriesConf, 'unqualified-search-registries = []\n');
      clients[mode] = {
        // the helper inherits skopeo's environment: LANYARD_STORE picks the store
        env: {
          ...sb.env,
          DBUS_SESSION_BUS_ADDRESS: keyring.address,
          LANYARD_STORE: mode,
          CONTAINERS_REGISTRIES_CONF: registriesConf,
        },
        authFile: writeAuthFile(join(sb.root, 'auth.json'), [registry.host]),
        policy,
      };
    }
  } catch (err) {
    console.error('[skopeo] setup failed:', err);
    throw err;
  }
});

test.after(async () => {
  try {
    await registry?.stop();
  } catch (err) {
    console.error('[skopeo] registry stop:', err);
  }
  try {
    await keyring?.stop();
  } catch (err) {
    console.error('[skopeo] keyring stop:', err);
  }
  for (const sb of Object.values(boxes)) sb.cleanup();
});

function skopeo(mode: Mode, args: string[], stdin?: string): Promise<RunResult> {
  const c = clients[mode];
  return run('skopeo', ['--policy', c.policy, ...args], { env: c.env, stdin, timeoutMs: 30_000 });
}
const push = (mode: Mode, dest: string) =>
  skopeo(mode, [
    'copy',
    '--authfile',
    clients[mode].authFile,
    '--dest-tls-verify=false',
    image.ref,
    `docker://${registry!.host}/${dest}`,
  ]);
const creds = (secret = PASSWORD) => ({ ServerURL: registry!.host, Username: USER, Secret: secret });

function assertAuthFailure(r: RunResult, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is.not(r.code, 0, `${what}: expected skopeo to fail\n${describe(r)}`);
  assert.ok(AUTH_ERROR.test(r.stderr), `${what}: expected an authentication error from the registry\n${describe(r)}`);
  assert.not.ok(
    HELPER_ERROR.test(r.stderr),
    `${what}: the helper failed instead of answering not-found/creds\n${describe(r)}`,
  );
}

test('the registry really requires authentication (anonymous push fails)', async () => {
  const r = await skopeo('file', [
    'copy',
    '--dest-no-creds',
    '--dest-tls-verify=false',
    image.ref,
    `docker://${registry!.host}/test/anonymous:1`,
  ]);
  assertAuthFailure(r, 'anonymous push');
});

for (const mode of MODES) {
  test(`[${mode}] skopeo pushes with lanyard's credentials and pulls back the same digest`, async () => {
    assertSilentOk(await store(clients[mode].env, creds()), 'store registry credentials');
    const dest = `test/${mode}:1`;
    const p = await push(mode, dest);
    assert.is(p.code, 0, `push failed\n${describe(p)}`);

    const ins = await skopeo(mode, [
      'inspect',
      '--authfile',
      clients[mode].authFile,
      '--tls-verify=false',
      `docker://${registry!.host}/${dest}`,
    ]);
    assert.is(ins.code, 0, `inspect failed\n${describe(ins)}`);
    assert.is(
      (JSON.parse(ins.stdout) as { Digest: string }).Digest,
      image.digest,
      'registry serves the pushed manifest',
    );

    const out = boxes[mode].dir(`pulled-${mode}`);
    const pull = await skopeo(mode, [
      'copy',
      '--authfile',
      clients[mode].authFile,
      '--src-tls-verify=false',
      `docker://${registry!.host}/${dest}`,
      `oci:${out}:back`,
    ]);
    assert.is(pull.code, 0, `pull failed\n${describe(pull)}`);
    assert.is(ociDigest(out, 'back'), image.digest, 'pulled manifest digest equals the local image');
  });

  test(`[${mode}] with the credential erased, the push fails with an auth error`, async () => {
    assertSilentOk(await erase(clients[mode].env, registry!.host), 'erase');
    assertNotFound(await get(clients[mode].env, registry!.host), 'get after erase');
    assertAuthFailure(await push(mode, `test/${mode}:erased`), 'push without credentials');
  });

  test(`[${mode}] a wrong stored password makes skopeo fail; the right one works again at once`, async () => {
    assertSilentOk(await store(clients[mode].env, creds('not-the-password')), 'store wrong password');
    assertAuthFailure(await push(mode, `test/${mode}:wrong`), 'push with a wrong password');
    assertSilentOk(await store(clients[mode].env, creds()), 'store right password');
    const p = await push(mode, `test/${mode}:right`);
    assert.is(p.code, 0, `push after fixing the password failed\n${describe(p)}`);
    assertSilentOk(await erase(clients[mode].env, registry!.host), 'cleanup erase');
  });

  test(`[${mode}] skopeo login stores through lanyard (not in the auth file); skopeo logout erases`, async () => {
    const c = clients[mode];
    const before = readFileSync(c.authFile, 'utf8');
    const bad = await skopeo(
      mode,
      ['login', '--authfile', c.authFile, '--tls-verify=false', '-u', USER, '--password-stdin', registry!.host],
      'wrong-password',
    );
    assert.is.not(bad.code, 0, `login with a wrong password must fail\n${describe(bad)}`);
    assertNotFound(await get(c.env, registry!.host), 'nothing stored by a failed login');

    const ok = await skopeo(
      mode,
      ['login', '--authfile', c.authFile, '--tls-verify=false', '-u', USER, '--password-stdin', registry!.host],
      PASSWORD,
    );
    assert.is(ok.code, 0, `skopeo login failed\n${describe(ok)}`);
    assertCreds(await get(c.env, registry!.host), creds(), 'lanyard has what skopeo login stored');
    const after = readFileSync(c.authFile, 'utf8');
    assert.not.ok(
      after.includes(PASSWORD) || after.includes(Buffer.from(`${USER}:${PASSWORD}`).toString('base64')),
      'the auth file must not hold the password',
    );
    assert.equal(JSON.parse(after), JSON.parse(before), 'auth file unchanged (credHelpers only)');

    const p = await push(mode, `test/${mode}:after-login`);
    assert.is(p.code, 0, `push after skopeo login failed\n${describe(p)}`);

    const out = await skopeo(mode, ['logout', '--authfile', c.authFile, registry!.host]);
    assert.is(out.code, 0, `skopeo logout failed\n${describe(out)}`);
    assertNotFound(await get(c.env, registry!.host), 'get after skopeo logout');
    assertAuthFailure(await push(mode, `test/${mode}:after-logout`), 'push after logout');
  });
}

test.run();
