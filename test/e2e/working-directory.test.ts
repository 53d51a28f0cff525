// The helper runs wherever the client runs: `docker build` in a freshly cloned repository starts it with
// that checkout as its working directory. Nothing there may reach the process: Bun's executables read
// .env files and bunfig.toml (whose `preload` runs code) from the working directory unless built not to.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { NOT_FOUND, runHelper } from './support/helper.js';
import { assertCreds, assertOneLineError, assertSilentOk } from './support/asserts.js';
import { describe } from './support/run.js';

let sb: Sandbox;
let checkout: string;
let marker: string;
const creds = { ServerURL: 'registry.example.test', Username: 'u', Secret: 'cwd-secret' };

test.before(() => {
  sb = createSandbox('working-directory');
  sb.env.LANYARD_STORE = 'file';
  checkout = sb.dir('hostile-checkout');
  marker = join(sb.root, 'preload-ran');
  const script = `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran'); console.log('{}');\n`;
  writeFileSync(join(checkout, 'evil.cjs'), script);
  writeFileSync(join(checkout, 'bunfig.toml'), 'preload = ["./evil.cjs"]\n[run]\npreload = ["./evil.cjs"]\n');
  // Each would be visible if loaded: a trace on stderr, or every keychain call failing on a bad store name.
  const dotenv = 'LANYARD_TRACE=1\nLANYARD_STORE=no-such-store\n';
  for (const name of ['.env', '.env.local', '.env.production']) writeFileSync(join(checkout, name), dotenv);
  writeFileSync(join(checkout, 'package.json'), '{"name":"x","type":"commonjs","imports":{"#x":"./evil.cjs"}}\n');
  mkdirSync(join(checkout, 'node_modules'));
  writeFileSync(join(checkout, 'tsconfig.json'), '{"compilerOptions":{"paths":{"*":["./evil.cjs"]}}}\n');
});

test.after(() => sb?.cleanup());

const inCheckout = (args: string[], stdin = '') => runHelper(args, { env: sb.env, stdin, cwd: checkout });

function assertUntouched(stderr: string, what: string): void {
  assert.not.ok(existsSync(marker), `${what}: bunfig.toml's preload ran inside the helper`);
  assert.not.match(stderr, /lanyard trace/, `${what}: a .env in the working directory reached the environment`);
}

test('store, get, erase and list in a checkout with .env, bunfig.toml and package.json: none is read', async () => {
  const stored = await inCheckout(['store'], JSON.stringify(creds));
  assertSilentOk(stored, 'store');
  assertUntouched(stored.stderr, 'store');
  const got = await inCheckout(['get'], creds.ServerURL);
  assertCreds(got, creds, 'get');
  assertUntouched(got.stderr, 'get');
  const listed = await inCheckout(['list']);
  assert.is(listed.code, 0, describe(listed));
  assertUntouched(listed.stderr, 'list');
  assertSilentOk(await inCheckout(['erase'], creds.ServerURL), 'erase');
  const gone = await inCheckout(['get'], creds.ServerURL);
  assertOneLineError(gone, 'get after erase', NOT_FOUND);
  assertUntouched(gone.stderr, 'get after erase');
});

test('management commands and version in the same checkout read none of it either', async () => {
  for (const args of [['version'], ['ls'], ['doctor']]) {
    const r = await inCheckout(args);
    assert.ok(!r.timedOut, describe(r));
    assertUntouched(r.stderr, args.join(' '));
  }
});

test.run();
