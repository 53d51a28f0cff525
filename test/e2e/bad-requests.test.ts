// Requests with the wrong shape: kubelet CredentialProviderRequests that are null, lists or have wrongly
// typed fields (one line on stderr naming the field, exit 1, never `internal error`), and logins whose
// server URL, username or secret holds a lone UTF-16 surrogate (JSON can carry `\ud800`): the keychain
// would keep U+FFFD where the file store keeps the original, so both refuse it, identically, storing nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sandbox } from './support/sandbox.js';
import { createSandbox } from './support/sandbox.js';
import { runHelper } from './support/helper.js';
import { assertOneLineError } from './support/asserts.js';
import { describe } from './support/run.js';
import { startKeyring, type Keyring } from './support/keyring.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';

let sb: Sandbox;
let keyring: Keyring | undefined;

test.before(async () => {
  try {
    sb = createSandbox('bad-requests');
    keyring = await startKeyring(sb);
  } catch (error) {
    console.error('[bad-requests] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await keyring?.stop();
  } catch (error) {
    console.error('[bad-requests] keyring stop:', error);
  }
  sb?.cleanup();
});

const request = (fields: Record<string, unknown>) =>
  JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderRequest', image: 'ubuntu', ...fields });

const KUBELET_REQUESTS: [string, string, RegExp][] = [
  ['null', 'null', /must be a JSON object, not null/],
  ['a list', '[]', /must be a JSON object, not a list/],
  ['a string', '"ubuntu"', /must be a JSON object, not a string/],
  ['apiVersion a number', request({ apiVersion: 1 }), /apiVersion must be a string/],
  ['kind null', request({ kind: null }), /kind must be "CredentialProviderRequest", not null/],
  ['image an object', request({ image: {} }), /image must be a string, not an object/],
  ['image null', request({ image: null }), /image must be a string, not null/],
];

test('kubelet: null, lists and wrongly typed fields get one line naming the field, exit 1', async () => {
  const env = { ...sb.env, LANYARD_STORE: 'file' };
  for (const [what, stdin, message] of KUBELET_REQUESTS) {
    const r = await runHelper(['kubelet'], { env, stdin });
    assert.is(r.code, 1, `${what}\n${describe(r)}`);
    assert.is(r.stdout, '', `${what}: nothing on stdout`);
    assert.ok(/^[^\n]+\n$/.test(r.stderr), `${what}: one line on stderr\n${describe(r)}`);
    assert.match(r.stderr, /CredentialProviderRequest on stdin: /, `${what}\n${describe(r)}`);
    assert.match(r.stderr, message, `${what}\n${describe(r)}`);
    assert.not.match(r.stderr, /internal error/, `${what}\n${describe(r)}`);
  }
});

// Raw JSON text: JSON.stringify would not write a lone surrogate as an escape on every runtime.
const LONE = [
  ['secret', '{"ServerURL":"lone.test","Username":"u","Secret":"pw\\ud800"}'],
  ['secret (low half)', '{"ServerURL":"lone.test","Username":"u","Secret":"\\udc00pw"}'],
  ['username', '{"ServerURL":"lone.test","Username":"u\\udfff","Secret":"pw"}'],
  ['server URL', '{"ServerURL":"lone.test/\\ud83d","Username":"u","Secret":"pw"}'],
];

test('store: a lone surrogate is refused with the same one line for the keychain and the file store', async () => {
  for (const [what, stdin] of LONE) {
    const answers: string[] = [];
    for (const store of ['keychain', 'file']) {
      const r = await runHelper(['store'], { env: { ...sb.env, LANYARD_STORE: store }, stdin });
      assertOneLineError(r, `${what} (${store})`);
      answers.push(r.stdout);
    }
    assert.is(answers[0], answers[1], `${what}: the same answer from both stores`);
    const field = what.replace(/ \(.*/, '');
    assert.match(answers[0], new RegExp(`^the ${field} contains an unpaired UTF-16 surrogate`), answers[0]);
  }
  assert.is((await keyring!.items()).length, 0, 'nothing in the keychain');
  assert.not.ok(existsSync(sb.secretsFile), 'no secrets file');
  assert.not.ok(existsSync(sb.mappingFile), 'no mapping');
});

test('a surrogate pair (an emoji) is a character like any other: stored and answered by both stores', async () => {
  for (const store of ['keychain', 'file']) {
    const env = { ...sb.env, LANYARD_STORE: store };
    const server = `${store}.pair.test`;
    const stdin = `{"ServerURL":"${server}","Username":"u","Secret":"pw\\ud83d\\ude00"}`;
    const s = await runHelper(['store'], { env, stdin });
    assert.is(s.code, 0, describe(s));
    const g = await runHelper(['get'], { env, stdin: server });
    assert.is((JSON.parse(g.stdout) as { Secret: string }).Secret, 'pw\u{1F600}', describe(g));
  }
});

test('configure --fix: a plaintext login with a lone surrogate is refused before anything moves', async () => {
  const env = { ...sb.env, LANYARD_STORE: 'file', DOCKER_CONFIG: sb.dir('docker-config') };
  const config = join(env.DOCKER_CONFIG, 'config.json');
  const lone = '"fix.test":{"username":"u","password":"pw\\ud800"}';
  const text = `{"auths":{${lone},"ok.test":{"username":"u","password":"pw"}}}`;
  writeFileSync(config, text);
  const mappingBefore = readFileSync(sb.mappingFile, 'utf8');
  const r = await runHelper(['configure', '--fix', '--registry', 'fix.test', '--registry', 'ok.test'], { env });
  assert.is(r.code, 1, describe(r));
  const refusal = /^docker-credential-lanyard: auths\["fix\.test"\] in .*config\.json: the secret contains an unpaired/;
  assert.match(r.stderr, refusal, describe(r));
  assert.is(readFileSync(config, 'utf8'), text, 'config.json untouched');
  assert.is(readFileSync(sb.mappingFile, 'utf8'), mappingBefore, 'nothing imported, not even ok.test');
});

test.run();
