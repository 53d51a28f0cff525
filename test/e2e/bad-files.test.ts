// Files lanyard reads that hold what they should not: a mapping.json with one damaged entry (the other
// logins keep working, `ls` and `doctor` name it, a write keeps it verbatim), secret ids and servers that
// are JavaScript prototype names, a mapping.json others may change (refused: it decides where a key is
// sent), and client config files with wrongly typed fields (`configure` and `doctor` name file and field).
// Every refusal is one line, never `internal error`, and changes nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Sandbox } from './support/sandbox.js';
import { createSandbox } from './support/sandbox.js';
import { get, listParsed, runHelper, store, type Creds } from './support/helper.js';
import { assertCreds, assertOneLineError, assertSilentOk } from './support/asserts.js';
import { describe, type RunResult } from './support/run.js';
import { startKeyring, type Keyring } from './support/keyring.js';

let sb: Sandbox;
let keyring: Keyring | undefined;
let env: NodeJS.ProcessEnv;
let dockerConfig: string;

test.before(async () => {
  try {
    sb = createSandbox('bad-files');
    keyring = await startKeyring(sb);
    env = { ...sb.env, LANYARD_STORE: 'file', DOCKER_CONFIG: sb.dir('docker-config') };
    dockerConfig = join(env.DOCKER_CONFIG!, 'config.json');
  } catch (error) {
    console.error('[bad-files] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await keyring?.stop();
  } catch (error) {
    console.error('[bad-files] keyring stop:', error);
  }
  sb?.cleanup();
});

const UPDATED = '2025-01-01T00:00:00.000Z';
const entry = (server: string, secretRef: string, store = 'file') => ({
  server,
  serverURL: server,
  kind: 'static',
  username: `user-${server}`,
  store,
  secretRef,
  updatedAt: UPDATED,
});

function writeMapping(entries: unknown[]): void {
  mkdirSync(dirname(sb.mappingFile), { recursive: true, mode: 0o700 });
  writeFileSync(sb.mappingFile, `${JSON.stringify({ version: 1, entries }, null, 2)}\n`, { mode: 0o600 });
}

function writeSecrets(secrets: Record<string, string>): void {
  mkdirSync(dirname(sb.secretsFile), { recursive: true, mode: 0o700 });
  writeFileSync(sb.secretsFile, JSON.stringify({ version: 1, secrets }), { mode: 0o600 });
}

const creds = (server: string, secret: string): Creds => ({
  ServerURL: server,
  Username: `user-${server}`,
  Secret: secret,
});
const escaped = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function noInternalError(r: RunResult, what: string): void {
  const output = `${r.stdout}${r.stderr}`;
  assert.not.match(output, /internal error|TypeError|\n\s+at /, `${what}: no internal error\n${describe(r)}`);
}

interface Finding {
  check: string;
  status: string;
  message: string;
  fix?: string;
}

async function doctorFindings(): Promise<Finding[]> {
  const r = await runHelper(['doctor', '--offline', '--json'], { env, timeoutMs: 30_000 });
  noInternalError(r, 'doctor');
  return JSON.parse(r.stdout) as Finding[];
}

function hasFinding(findings: Finding[], check: string, match: (f: Finding) => boolean, what: string): void {
  const shown = findings.map((f) => `${f.status} [${f.check}] ${f.message} (fix: ${f.fix})`).join('\n');
  assert.ok(
    findings.some((f) => f.check === check && f.status === 'fail' && match(f)),
    `${what}:\n${shown}`,
  );
}

test('one damaged mapping entry: the others answer get and list; its own get is an error naming it', async () => {
  writeSecrets({ 'good/1': 'pw-good', 'bad/1': 'pw-bad', 'other/1': 'pw-other' });
  const damaged = { ...entry('bad.test', 'bad/1'), secretRef: 12 };
  writeMapping([entry('good.test', 'good/1'), damaged, entry('other.test', 'other/1')]);
  assertCreds(await get(env, 'good.test'), creds('good.test', 'pw-good'), 'get before the damaged entry');
  assertCreds(await get(env, 'other.test'), creds('other.test', 'pw-other'), 'get after the damaged entry');
  const bad = await get(env, 'bad.test');
  assertOneLineError(bad, 'get of the damaged entry');
  const field = `${escaped(sb.mappingFile)}: entries\\[1\\]\\.secretRef must be a string`;
  assert.match(bad.stdout, new RegExp(field), describe(bad));
  assert.equal(await listParsed(env), { 'good.test': 'user-good.test', 'other.test': 'user-other.test' });
});

test('ls lists the readable entries and names the damaged one; doctor fails on it', async () => {
  const ls = await runHelper(['ls'], { env });
  assert.is(ls.code, 0, describe(ls));
  assert.match(ls.stdout, /good\.test/);
  assert.match(ls.stderr, /entries\[1\]\.secretRef must be a string.*ignored/, describe(ls));
  const json = await runHelper(['ls', '--json'], { env });
  assert.equal(
    (JSON.parse(json.stdout) as { server: string }[]).map((e) => e.server),
    ['good.test', 'other.test'],
  );
  const findings = await doctorFindings();
  hasFinding(findings, 'mapping file', (f) => /entries\[1\]\.secretRef must be a string/.test(f.message), 'doctor');
});

test('a login while an entry is damaged succeeds and keeps the damaged entry verbatim', async () => {
  assertSilentOk(await store(env, creds('new.test', 'pw-new')), 'store');
  type Stored = { entries: { server: string; secretRef: unknown }[] };
  const { entries } = JSON.parse(readFileSync(sb.mappingFile, 'utf8')) as Stored;
  assert.equal(entries.map((e) => e.server).sort(), ['bad.test', 'good.test', 'new.test', 'other.test']);
  assert.is(entries.find((e) => e.server === 'bad.test')!.secretRef, 12, 'the damaged entry is not rewritten');
  assertCreds(await get(env, 'new.test'), creds('new.test', 'pw-new'), 'get of the new login');
});

test('secretRef __proto__ or constructor, no such secret: "missing" in the file store and the keychain', async () => {
  writeSecrets({});
  for (const store of ['file', 'keychain']) {
    for (const ref of ['__proto__', 'constructor', 'toString']) {
      writeMapping([entry('proto.test', ref, store)]);
      const r = await get(env, 'proto.test');
      assertOneLineError(r, `${store} ${ref}`);
      assert.match(r.stdout, /secret is missing/, `${store} ${ref}: ${describe(r)}`);
    }
  }
});

test('secrets stored under __proto__ and constructor in the file store are found', async () => {
  writeSecrets(JSON.parse('{"__proto__": "pw-proto", "constructor": "pw-ctor"}') as Record<string, string>);
  writeMapping([entry('a.test', '__proto__'), entry('b.test', 'constructor')]);
  assertCreds(await get(env, 'a.test'), creds('a.test', 'pw-proto'), '__proto__');
  assertCreds(await get(env, 'b.test'), creds('b.test', 'pw-ctor'), 'constructor');
});

test('a server named __proto__ is listed and answered', async () => {
  writeMapping([]);
  const login = { ServerURL: '__proto__', Username: 'u', Secret: 'pw' };
  assertSilentOk(await store(env, login), 'store __proto__');
  const listed = await runHelper(['list'], { env });
  assert.is(listed.stdout, '{"__proto__":"u"}\n', describe(listed));
  assertCreds(await get(env, '__proto__'), login, 'get __proto__');
});

test('a mapping.json (or folder) others may change is refused by get and store; doctor says chmod', async () => {
  for (const path of [sb.mappingFile, dirname(sb.mappingFile)]) {
    const mode = path === sb.mappingFile ? 0o600 : 0o700;
    chmodSync(path, path === sb.mappingFile ? 0o666 : 0o777);
    try {
      const r = await get(env, '__proto__');
      assertOneLineError(r, `get with ${path} writable by others`);
      assert.ok(r.stdout.trim().endsWith(`run: chmod go-w ${path}`), describe(r));
      assertOneLineError(await store(env, creds('x.test', 'pw')), `store with ${path} writable by others`);
      hasFinding(await doctorFindings(), 'mapping file', (f) => f.fix === `chmod go-w ${path}`, `doctor, ${path}`);
    } finally {
      chmodSync(path, mode);
    }
  }
  assert.not.match(readFileSync(sb.mappingFile, 'utf8'), /x\.test/, 'nothing was stored');
});

test('doctor checks the folder of secrets.json too', async () => {
  chmodSync(dirname(sb.secretsFile), 0o777);
  try {
    const fix = `chmod go-w ${dirname(sb.secretsFile)}`;
    hasFinding(await doctorFindings(), 'file store', (f) => f.fix === fix, 'doctor');
  } finally {
    chmodSync(dirname(sb.secretsFile), 0o700);
  }
});

const BAD_CONFIGS: [string, unknown, RegExp][] = [
  ['credHelpers a string', { credHelpers: 'x' }, /credHelpers must be an object, not a string/],
  [
    'a number for auth',
    { auths: { 'proto.test': { auth: 12 } } },
    /auths\["proto\.test"\]\.auth must be a string, not a number/,
  ],
  [
    'an auths entry that is a string',
    { auths: { 'proto.test': 'dTpw' } },
    /auths\["proto\.test"\] must be an object, not a string/,
  ],
  [
    'a credHelpers value that is a number',
    { credHelpers: { 'proto.test': 1 } },
    /credHelpers\["proto\.test"\] must be a string/,
  ],
];

test('config files with wrongly typed fields: configure and doctor name file and field, change nothing', async () => {
  writeMapping([entry('proto.test', 'p/1')]);
  for (const [what, config, field] of BAD_CONFIGS) {
    const text = JSON.stringify(config);
    writeFileSync(dockerConfig, text);
    const configure = await runHelper(['configure', '--fix'], { env });
    assert.is(configure.code, 1, `${what}: configure\n${describe(configure)}`);
    assert.ok(/^[^\n]+\n$/.test(configure.stderr), `${what}: one line\n${describe(configure)}`);
    assert.match(configure.stderr, new RegExp(`${escaped(dockerConfig)}: `), what);
    assert.match(configure.stderr, field, `${what}\n${describe(configure)}`);
    noInternalError(configure, what);
    assert.is(readFileSync(dockerConfig, 'utf8'), text, `${what}: config.json untouched`);
    hasFinding(await doctorFindings(), 'client configs', (f) => field.test(f.message), `${what}: doctor`);
  }
});

test('auths entries that are null (docker reads them as empty): doctor and configure --fix work', async () => {
  writeFileSync(dockerConfig, '{"auths": {"proto.test": null, "__proto__": null}}');
  const findings = await doctorFindings();
  assert.not.ok(
    findings.some((f) => f.check === 'client configs'),
    JSON.stringify(findings),
  );
  const configure = await runHelper(['configure', '--fix'], { env });
  assert.is(configure.code, 0, describe(configure));
  const text = readFileSync(dockerConfig, 'utf8');
  assert.is((JSON.parse(text) as { credHelpers: Record<string, string> }).credHelpers['proto.test'], 'lanyard', text);
  assert.match(text, /"__proto__": null/, 'an entry lanyard does not touch is kept');
});

test('a damaged entry keeps its secret through later writes: it can be repaired', async () => {
  const server = 'repairable.test';
  assertSilentOk(await store(env, creds(server, 'pw-repairable')), 'store');
  const mapping = JSON.parse(readFileSync(sb.mappingFile, 'utf8')) as { entries: Record<string, unknown>[] };
  const stored = mapping.entries.find((e) => e.server === server)!;
  // A hand-edit gone wrong:
  writeMapping(mapping.entries.map((e) => (e === stored ? { ...e, kind: 'no-such-kind' } : e)));
  // Writes sweep the secrets that no entry names; the damaged entry still names its own.
  assertSilentOk(await store(env, creds('another-write.test', 'pw-another')), 'a later store');
  assertSilentOk(await runHelper(['erase'], { env, stdin: 'another-write.test' }), 'a later erase');
  const repaired = JSON.parse(readFileSync(sb.mappingFile, 'utf8')) as { entries: Record<string, unknown>[] };
  writeMapping(repaired.entries.map((e) => (e.server === server ? { ...e, kind: 'static' } : e)));
  assertCreds(await get(env, server), creds(server, 'pw-repairable'), 'get after the repair');
});

test.run();
