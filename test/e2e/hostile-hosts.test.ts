// Host names beyond DNS limits are refused at store/login with one line, and a hostile
// entry already in the mapping (hand-edited, or written before the limits) is skipped
// with a log warning instead of breaking `get` for every other entry.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { get, login, store } from './support/helper.js';
import { assertCreds, assertOneLineError, assertSilentOk } from './support/asserts.js';
import { describe } from './support/run.js';

let sb: Sandbox;
const creds = { ServerURL: 'good.example.test', Username: 'u', Secret: 'good-secret' };

test.before(() => {
  sb = createSandbox('hostile-hosts');
  sb.env.LANYARD_STORE = 'file';
});

test.after(() => sb?.cleanup());

test('store refuses a label over 63 characters, in one line, storing nothing', async () => {
  assertSilentOk(await store(sb.env, creds), 'store');
  const before = readFileSync(sb.mappingFile, 'utf8');
  const r = await store(sb.env, { ...creds, ServerURL: `${'a'.repeat(64)}.example.test` });
  assertOneLineError(r, 'store of an over-long label');
  assert.match(r.stdout, /a label longer than 63 characters/);
  assert.is(readFileSync(sb.mappingFile, 'utf8'), before);
});

test('login refuses a hostile pattern in one line', async () => {
  const r = await login(sb.env, `${'*a'.repeat(40)}*b.example.com`, 'u', 'pw');
  assert.is(r.code, 1, describe(r));
  assert.match(r.stderr, /^[^\n]*a label longer than 63 characters[^\n]*\n?$/, describe(r));
});

// Before: every get failed with `internal error: SyntaxError: Invalid regular expression: … too large`.
test('a 400 KB pattern already in the mapping is skipped; other entries still answer', async () => {
  type Mapping = { entries: { server: string; serverURL: string }[] };
  const mapping = JSON.parse(readFileSync(sb.mappingFile, 'utf8')) as Mapping;
  const hostile = `${'*'.repeat(400_000)}.example.test`;
  mapping.entries.unshift({ ...mapping.entries[0], server: hostile, serverURL: hostile });
  writeFileSync(sb.mappingFile, JSON.stringify(mapping));
  const started = Date.now();
  assertCreds(await get(sb.env, creds.ServerURL), creds, 'get of the good entry');
  const url = 'https://good.example.test/v2/';
  assertCreds(await get(sb.env, url), { ...creds, ServerURL: url }, 'get by URL');
  assert.ok(Date.now() - started < 8000);
  const logged = readFileSync(sb.logFile, 'utf8');
  assert.match(logged, /WARN .*ignoring a mapping entry: .*entries\[0\]\.server is not a registry name/);
  assert.ok(logged.length < 20_000, `the 400 KB name is not copied into the log (${logged.length} characters)`);
});

test.run();
