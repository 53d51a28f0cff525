// A locked keychain is a real failure with a way out, never "credentials not found"
// (clients would go anonymous) and never a silent switch to the file store.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { get, store, NOT_FOUND } from './support/helper.js';
import { assertOneLineError, assertSilentOk, assertCreds } from './support/asserts.js';

let sb: Sandbox;
let keyring: Keyring;
const SERVER = 'locked.example.test';
const creds = { ServerURL: SERVER, Username: 'u', Secret: 'locked-secret-1' };

test.before(async () => {
  sb = createSandbox('locked');
  sb.env.LANYARD_STORE = 'keychain';
  keyring = await startKeyring(sb);
});

test.after(async () => {
  await keyring?.stop();
  sb?.cleanup();
});

test('a stored login reads back while the keychain is unlocked', async () => {
  assertSilentOk(await store(sb.env, creds), 'store');
  assertCreds(await get(sb.env, SERVER), creds, 'get');
});

test('locked: get fails with one line that says how to unlock, not "not found"', async () => {
  await keyring.lock();
  const r = await get(sb.env, SERVER);
  assertOneLineError(r, 'get from a locked keychain');
  assert.is.not(r.stdout.trim(), NOT_FOUND);
  assert.match(r.stdout, /locked/i);
  assert.match(r.stdout, /unlock/i);
  assert.not.ok(r.stdout.includes(creds.Secret));
});

test('locked: store fails the same way and changes nothing (no silent fallback to the file store)', async () => {
  const mappingBefore = readFileSync(sb.mappingFile, 'utf8');
  const r = await store(sb.env, { ...creds, Secret: 'locked-secret-2' });
  assertOneLineError(r, 'store into a locked keychain');
  assert.match(r.stdout, /unlock/i);
  assert.is(readFileSync(sb.mappingFile, 'utf8'), mappingBefore, 'mapping unchanged');
  assert.not.ok(existsSync(sb.secretsFile), 'no file-store fallback');
});

test.run();
