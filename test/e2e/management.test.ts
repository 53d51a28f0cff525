// The management CLI: login / ls / logout, host patterns, the store and env options, and what a later
// `store` (docker login again) keeps of what login set.
// Management errors go to stderr with exit 1 (docs/CONTRACT.md).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { runHelper, login, get, store, listParsed } from './support/helper.js';
import {
  assertOk,
  assertCreds,
  assertNotFound,
  assertNoLeak,
  assertOneLineError,
  assertSilentOk,
} from './support/asserts.js';
import { describe } from './support/run.js';
import { loginOk } from './support/exchange-env.js';
import * as iamFixture from '../fixtures/iam.js';

interface LsEntry {
  server: string;
  serverURL: string;
  kind: string;
  username: string;
  store: string;
}

let sb: Sandbox;
let keyring: Keyring | undefined;
let env: NodeJS.ProcessEnv; // file store
const others: Sandbox[] = [];
const pw = (label: string) => `${label}-${randomBytes(8).toString('hex')}`;

test.before(async () => {
  try {
    sb = createSandbox('management');
    keyring = await startKeyring(sb);
    env = { ...sb.env, LANYARD_STORE: 'file' };
  } catch (err) {
    console.error('[management] setup failed:', err);
    throw err;
  }
});

test.after(async () => {
  try {
    await keyring?.stop();
  } catch (err) {
    console.error('[management] keyring stop:', err);
  }
  for (const s of [sb, ...others]) s?.cleanup();
});

async function lsJson(e: NodeJS.ProcessEnv = env): Promise<LsEntry[]> {
  const r = await runHelper(['ls', '--json'], { env: e });
  assertOk(r, 'ls --json');
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch {
    assert.unreachable(`ls --json is not JSON\n${describe(r)}`);
  }
  assert.ok(Array.isArray(parsed), `ls --json is not an array\n${describe(r)}`);
  return parsed as LsEntry[];
}

test('login -u U --password-stdin stores a login that get answers', async () => {
  const secret = pw('mgmt');
  const r = await login(env, 'mgmt.example.test', 'bob', secret);
  assertOk(r, 'login');
  assertNoLeak(r, secret, 'login');
  assertCreds(
    await get(env, 'mgmt.example.test'),
    { ServerURL: 'mgmt.example.test', Username: 'bob', Secret: secret },
    'get',
  );
  assert.not.ok(readFileSync(sb.mappingFile, 'utf8').includes(secret), 'mapping.json holds no secret');
});

test('--password-stdin drops one trailing newline, as docker does', async () => {
  const secret = pw('newline');
  assertOk(await login(env, 'newline.example.test', 'nl', `${secret}\n`), 'login');
  assertCreds(
    await get(env, 'newline.example.test'),
    { ServerURL: 'newline.example.test', Username: 'nl', Secret: secret },
    'get',
  );
  assertOk(await runHelper(['logout', 'newline.example.test'], { env }), 'logout');
});

test('ls --json lists {server, serverURL, kind, username, store} and no secrets', async () => {
  const secret = pw('ls');
  assertOk(await login(env, 'ls.example.test:8443', 'carol', secret), 'login');
  const r = await runHelper(['ls', '--json'], { env });
  assertNoLeak(r, secret, 'ls --json');
  const entries = await lsJson();
  const e = entries.find((x) => x.server === 'ls.example.test:8443');
  assert.ok(e, `no entry for ls.example.test:8443 in ${JSON.stringify(entries)}`);
  // the five fields CONTRACT.md names must be there (more, such as token state, may be added)
  for (const field of ['server', 'serverURL', 'kind', 'username', 'store'])
    assert.ok(field in e!, `entry lacks ${field}: ${JSON.stringify(e)}`);
  assert.is(e!.username, 'carol');
  assert.is(e!.store, 'file');
  assert.is(e!.kind, 'static', 'a plain registry login is kind static');
  assert.type(e!.serverURL, 'string');
  assert.ok(
    entries.some((x) => x.server === 'mgmt.example.test' && x.username === 'bob'),
    'earlier login listed',
  );
});

let tableSecret = '';
test('ls prints a table with server, kind, username and store; no secrets', async () => {
  tableSecret = pw('table');
  const secret = tableSecret;
  assertOk(await login(env, 'table.example.test', 'dave', secret), 'login');
  const r = await runHelper(['ls'], { env });
  assertOk(r, 'ls');
  assertNoLeak(r, secret, 'ls');
  const line = r.stdout.split('\n').find((l) => /(^|\s)table\.example\.test(\s|$)/.test(l));
  assert.ok(line, `no table row for table.example.test\n${describe(r)}`);
  for (const cell of ['dave', 'static', 'file'])
    assert.ok(line!.split(/\s+/).includes(cell), `row lacks ${cell}: ${line}`);
});

test('logout removes the login', async () => {
  const r = await runHelper(['logout', 'mgmt.example.test'], { env });

  test('logout of a name with no login says so (the protocol erase stays quiet)', async () => {
    const r = await runHelper(['logout', 'never.example.test'], { env });
    assert.is(r.code, 1, describe(r));
    assert.match(r.stderr, /no login for never\.example\.test/);
  });
  assertOk(r, 'logout');
  assertNotFound(await get(env, 'mgmt.example.test'), 'get after logout');
  assert.not.ok(
    (await lsJson()).some((x) => x.server === 'mgmt.example.test'),
    'ls after logout',
  );
  assert.is((await listParsed(env))['mgmt.example.test'], undefined, 'list after logout');
  assertCreds(
    await get(env, 'table.example.test'),
    { ServerURL: 'table.example.test', Username: 'dave', Secret: tableSecret },
    'other logins untouched',
  );
});

test('pattern *.example.test answers exactly one extra DNS label', async () => {
  const secret = pw('pattern');
  assertOk(await login(env, '*.example.test', 'pat', secret), 'login pattern');
  assertCreds(
    await get(env, 'sub.example.test'),
    { ServerURL: 'sub.example.test', Username: 'pat', Secret: secret },
    'get sub.example.test',
  );
  assertCreds(
    await get(env, 'https://Other.example.test/v2/'),
    { ServerURL: 'https://Other.example.test/v2/', Username: 'pat', Secret: secret },
    'get with scheme and case',
  );
  assertNotFound(await get(env, 'a.b.example.test'), 'two labels');
  assertNotFound(await get(env, 'example.test'), 'zero labels');
  assertNotFound(await get(env, 'sub.example.testing'), 'other suffix');
  const listed = await listParsed(env);
  assert.not.ok(
    Object.keys(listed).some((k) => k.includes('*')),
    `list must not show patterns: ${JSON.stringify(listed)}`,
  );
  assert.ok(
    (await lsJson()).some((x) => x.server === '*.example.test' && x.username === 'pat'),
    'ls shows the pattern',
  );
});

test('an exact entry beats a pattern, whichever was stored first', async () => {
  const exactSecret = pw('exact');
  assertOk(await login(env, 'exact.example.test', 'exact', exactSecret), 'login exact after pattern');
  assertCreds(
    await get(env, 'exact.example.test'),
    { ServerURL: 'exact.example.test', Username: 'exact', Secret: exactSecret },
    'exact wins',
  );
  assert.is(JSON.parse((await get(env, 'other.example.test')).stdout).Username, 'pat', 'others still get the pattern');

  const firstSecret = pw('first');
  const patSecret = pw('pat2');
  assertOk(await login(env, 'first.pattern2.test', 'first', firstSecret), 'login exact before pattern');
  assertOk(await login(env, '*.pattern2.test', 'pat2', patSecret), 'login pattern');
  assertCreds(
    await get(env, 'first.pattern2.test'),
    { ServerURL: 'first.pattern2.test', Username: 'first', Secret: firstSecret },
    'exact wins',
  );
  assertCreds(
    await get(env, 'second.pattern2.test'),
    { ServerURL: 'second.pattern2.test', Username: 'pat2', Secret: patSecret },
    'pattern answers the rest',
  );

  assertOk(await runHelper(['logout', '*.example.test'], { env }), 'logout pattern');
  assertNotFound(await get(env, 'sub.example.test'), 'pattern gone');
  assertCreds(
    await get(env, 'exact.example.test'),
    { ServerURL: 'exact.example.test', Username: 'exact', Secret: exactSecret },
    'exact entry survives',
  );
});

test('store <token> is listed as kind identity-token', async () => {
  assertSilentOk(await store(env, { ServerURL: 'idt.example.test', Username: '<token>', Secret: pw('idt') }), 'store');
  const e = (await lsJson()).find((x) => x.server === 'idt.example.test');
  assert.is(e?.kind, 'identity-token', JSON.stringify(e));
  assert.is(e?.username, '<token>');
});

type MappingEntry = { server: string; kind: string; username: string; options?: Record<string, string> };
const mappingEntry = (server: string) =>
  (JSON.parse(readFileSync(sb.mappingFile, 'utf8')).entries as MappingEntry[]).find((e) => e.server === server);

test('docker login again with the same user keeps the kind and the provider options set by login', async () => {
  // `login` checks the key with one exchange: at a private IAM endpoint standing in for private.iam.cloud.ibm.com.
  const iam = await iamFixture.start({ apikeys: ['key-1'] });
  try {
    await loginOk(env, 'private.us.icr.io', 'iamapikey', 'key-1', ['--iam-endpoint', iam.url]);
  } finally {
    await iam.stop();
  }
  await loginOk(env, 'registry.example.test', 'me', 'pw-1', ['--kind', 'oauth2']);
  assertSilentOk(
    await store(env, { ServerURL: 'private.us.icr.io', Username: 'iamapikey', Secret: 'key-2' }),
    'store (rotated key)',
  );
  assertSilentOk(
    await store(env, { ServerURL: 'registry.example.test', Username: 'me', Secret: 'pw-2' }),
    'store (new password)',
  );
  assert.equal(mappingEntry('private.us.icr.io')?.options, { iamEndpoint: iam.url }, 'private IAM endpoint kept');
  assert.is(mappingEntry('registry.example.test')?.kind, 'oauth2', 'explicit kind kept');
  // Another user is another login: its kind is inferred afresh.
  assertSilentOk(
    await store(env, { ServerURL: 'registry.example.test', Username: 'someone-else', Secret: 'pw-3' }),
    'store (other user)',
  );
  assert.is(mappingEntry('registry.example.test')?.kind, 'static');
});

test('--store picks the store when no LANYARD_STORE is set', async () => {
  const fresh = createSandbox('management-store');
  others.push(fresh);
  const e = { ...fresh.env, DBUS_SESSION_BUS_ADDRESS: keyring!.address };
  const inFile = pw('in-file');
  const inKeychain = pw('in-keychain');
  assertOk(await login(e, 'tofile.example.test', 'f', inFile, ['--store', 'file']), 'login --store file');
  assertOk(
    await login(e, 'tokeychain.example.test', 'k', inKeychain, ['--store', 'keychain']),
    'login --store keychain',
  );
  const entries = await lsJson(e);
  assert.is(entries.find((x) => x.server === 'tofile.example.test')?.store, 'file', JSON.stringify(entries));
  assert.is(entries.find((x) => x.server === 'tokeychain.example.test')?.store, 'keychain', JSON.stringify(entries));
  assert.ok(
    existsSync(fresh.secretsFile) && readFileSync(fresh.secretsFile, 'utf8').includes(inFile),
    'file secret in secrets.json',
  );
  assert.not.ok(readFileSync(fresh.secretsFile, 'utf8').includes(inKeychain), 'keychain secret not in secrets.json');
  const items = (await keyring!.items()).filter((i) => i.attributes.username?.startsWith('tokeychain.example.test/'));
  assert.is(items.length, 1, 'one keychain item');
  assert.is(await keyring!.secret(items[0]!.attributes), inKeychain, 'keychain item holds the secret');
  assertCreds(
    await get(e, 'tofile.example.test'),
    { ServerURL: 'tofile.example.test', Username: 'f', Secret: inFile },
    'get file entry',
  );
  assertCreds(
    await get(e, 'tokeychain.example.test'),
    { ServerURL: 'tokeychain.example.test', Username: 'k', Secret: inKeychain },
    'get keychain entry',
  );
  assertOk(await runHelper(['logout', 'tokeychain.example.test'], { env: e }), 'logout');
  assert.equal(
    (await keyring!.items()).filter((i) => i.attributes.username?.startsWith('tokeychain.example.test/')),
    [],
    'logout deletes the keychain item',
  );
});

test('--secret-env: the secret is read from the environment at use time', async () => {
  const r = await runHelper(['login', 'ci.example.test', '-u', 'ci-bot', '--secret-env', 'LANYARD_E2E_CI_TOKEN'], {
    env,
  });
  assertOk(r, 'login --secret-env');
  const entry = (await lsJson()).find((x) => x.server === 'ci.example.test');
  assert.is(entry?.store, 'env', JSON.stringify(entry));
  const token = pw('ci-token');
  assertCreds(
    await get({ ...env, LANYARD_E2E_CI_TOKEN: token }, 'ci.example.test'),
    { ServerURL: 'ci.example.test', Username: 'ci-bot', Secret: token },
    'get with the variable set',
  );
  assert.not.ok(readFileSync(sb.mappingFile, 'utf8').includes(token), 'mapping holds no secret');
  // unset variable: a real error naming the variable, not a silent "not found"
  const missing = await get(env, 'ci.example.test');
  assertOneLineError(missing, 'get with the variable unset');
  assert.is.not(
    missing.stdout.trim(),
    'credentials not found in native keychain',
    'a missing variable must not look like a missing login',
  );
  assert.ok(missing.stdout.includes('LANYARD_E2E_CI_TOKEN'), `error should name the variable\n${describe(missing)}`);
});

test('bad management input: error on stderr, exit 1, nothing stored', async () => {
  const secret = pw('bad');
  const badStore = await login(env, 'badstore.example.test', 'u', secret, ['--store', 'bogus']);
  assert.is(badStore.code, 1, describe(badStore));
  assert.ok(badStore.stderr.trim().length > 0, `expected an error on stderr\n${describe(badStore)}`);
  assertNoLeak(badStore, secret, '--store bogus');
  assertNotFound(await get(env, 'badstore.example.test'), 'nothing stored');

  const noUser = await runHelper(['login', 'nouser.example.test', '--password-stdin'], { env, stdin: secret });
  assert.is(noUser.code, 1, describe(noUser));
  assert.ok(noUser.stderr.trim().length > 0, `expected an error on stderr\n${describe(noUser)}`);
  assertNoLeak(noUser, secret, 'login without -u');
  assertNotFound(await get(env, 'nouser.example.test'), 'nothing stored');

  const badPattern = await login(env, 'ftp://bad.example.test', 'u', secret);
  assert.is(badPattern.code, 1, describe(badPattern));
  assertNoLeak(badPattern, secret, 'ftp login');
  assertNotFound(await get(env, 'bad.example.test'), 'nothing stored');
});

test.run();
