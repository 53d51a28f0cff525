// `configure` / `unconfigure` on real files: credHelpers for every mapped registry in $DOCKER_CONFIG/config.json
// (both Docker Hub keys) and in containers' auth.json (where it exists, or with --containers, or
// REGISTRY_AUTH_FILE); every other key and docker's tab indentation kept; idempotent; atomic with a
// `.lanyard-backup`; stale plaintext `auths` entries warned about and, with --fix, moved into lanyard;
// --dry-run writes nothing; bad JSON refused in one line. No clients here (clients-*.test.ts use them).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Sandbox } from './support/sandbox.js';
import { fileStoreSandbox } from './support/exchange-env.js';
import { get, login, runHelper, store } from './support/helper.js';
import { assertCreds } from './support/asserts.js';
import { describe, type RunResult } from './support/run.js';

const ICR_REGIONAL = ['au', 'br', 'ca', 'de', 'es', 'uk', 'jp2', 'jp', 'us'].map((r) => `${r}.icr.io`);
const HUB_DOCKER_KEYS = ['https://index.docker.io/v1/', 'docker.io'];
const REG = 'registry.example.test:5000';
const REG_PASSWORD = `pw-${randomBytes(8).toString('hex')}`;

const boxes: Sandbox[] = [];
test.after(() => {
  for (const sb of boxes) sb.cleanup();
});

/** A file-store sandbox whose DOCKER_CONFIG is a directory outside HOME. */
function box(label: string): Sandbox {
  const sb = fileStoreSandbox(`configure-${label}`);
  boxes.push(sb);
  sb.env.DOCKER_CONFIG = join(sb.root, 'docker-config');
  return sb;
}
const dockerConfig = (sb: Sandbox) => join(sb.env.DOCKER_CONFIG ?? join(sb.home, '.docker'), 'config.json');
const runtimeAuth = (sb: Sandbox) => join(sb.runtimeDir, 'containers', 'auth.json');
const userAuth = (sb: Sandbox) => join(sb.configHome, 'containers', 'auth.json');
const backup = (path: string) => `${path}.lanyard-backup`;

const lanyard = (sb: Sandbox, args: string[], env: NodeJS.ProcessEnv = sb.env) =>
  runHelper(args, { env, timeoutMs: 15_000 });

async function loginOk(sb: Sandbox, server: string, user: string, secret: string, extra: string[] = []): Promise<void> {
  const r = await login(sb.env, server, user, secret, extra);
  assert.is(r.code, 0, `login ${server}\n${describe(r)}`);
}
/** The mapping most tests use: a *.icr.io API key, Docker Hub, and a plain registry with a port. */
async function loginUsual(sb: Sandbox): Promise<void> {
  // Kept as `store` (docker login) keeps it: `login` would check the key with IAM, which these tests never reach.
  const icr = await store(sb.env, {
    ServerURL: '*.icr.io',
    Username: 'iamapikey',
    Secret: `key-${randomBytes(8).toString('hex')}`,
  });
  assert.is(icr.code, 0, describe(icr));
  await loginOk(sb, 'docker.io', 'hubuser', `dckr_pat_${randomBytes(8).toString('hex')}`);
  await loginOk(sb, REG, 'bob', REG_PASSWORD);
}

function write(path: string, text: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text, { mode });
}
const read = (path: string) => readFileSync(path, 'utf8');
const json = (path: string) => JSON.parse(read(path)) as Record<string, any>;
const b64 = (s: string) => Buffer.from(s).toString('base64');

function ok(r: RunResult, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is(r.code, 0, `${what}: expected exit 0\n${describe(r)}`);
}
/** A management error: exit 1, exactly one line on stderr, nothing on stdout, no stack trace. */
function oneLineError(r: RunResult, what: string, pattern: RegExp): void {
  assert.is(r.code, 1, `${what}: expected exit 1\n${describe(r)}`);
  assert.is(r.stdout, '', `${what}: nothing on stdout\n${describe(r)}`);
  assert.ok(/^[^\n]+\n$/.test(r.stderr), `${what}: expected exactly one line on stderr\n${describe(r)}`);
  assert.match(r.stderr, pattern, `${what}: error text\n${describe(r)}`);
}
const lanyardKeys = (helpers: Record<string, string> | undefined) =>
  Object.entries(helpers ?? {})
    .filter(([, h]) => h === 'lanyard')
    .map(([k]) => k)
    .sort();

// docker's own formatting: tabs, as `docker login` writes the file
const DOCKER_STYLE = (data: unknown) => `${JSON.stringify(data, null, '\t')}\n`;

test('without logins or --registry, configure exits 1 with one line and creates no file', async () => {
  const sb = box('empty');
  const r = await lanyard(sb, ['configure', '--containers']);
  oneLineError(r, 'configure with nothing mapped', /no registries to configure/);
  for (const p of [dockerConfig(sb), runtimeAuth(sb), userAuth(sb)]) assert.not.ok(existsSync(p), `${p} created`);
});

test('config.json: every mapped registry, *.icr.io expanded, both Hub keys; other keys and tabs kept', async () => {
  const sb = box('docker');
  await loginUsual(sb);
  const original = {
    auths: { 'quay.io': { auth: b64('q:quay-secret') }, 'https://index.docker.io/v1/': {} },
    credHelpers: { 'gcr.io': 'gcloud', 'us-docker.pkg.dev': 'gcloud' },
    psFormat: 'table {{.ID}}\\t{{.Names}}',
    proxies: { default: { httpProxy: 'http://proxy.example:3128', noProxy: '*.test,127.0.0.1' } },
    currentContext: 'default',
    plugins: { buildx: { enabled: 'true' } },
  };
  write(dockerConfig(sb), DOCKER_STYLE(original));
  const r = await lanyard(sb, ['configure']);
  ok(r, 'configure');
  assert.match(r.stdout, `updated ${dockerConfig(sb)}`);
  const text = read(dockerConfig(sb));
  const after = JSON.parse(text);
  for (const [key, value] of Object.entries(original)) {
    if (key !== 'credHelpers') assert.equal(after[key], value, `key ${key} preserved`);
  }
  assert.is(after.credHelpers['gcr.io'], 'gcloud', 'another helper kept');
  assert.is(after.credHelpers['us-docker.pkg.dev'], 'gcloud', 'another helper kept');
  const keys = lanyardKeys(after.credHelpers);
  for (const host of [...ICR_REGIONAL, ...HUB_DOCKER_KEYS, REG])
    assert.ok(keys.includes(host), `credHelpers has ${host}: ${keys.join(', ')}`);
  // An IBM Cloud key for *.icr.io serves every ICR host (issue 19): global and private endpoints are written too.
  for (const host of ['icr.io', 'private.icr.io', 'private.us.icr.io'])
    assert.ok(keys.includes(host), `*.icr.io serves ${host}: ${keys.join(', ')}`);
  assert.not.ok(keys.includes('*.icr.io'), 'no pattern is written (docker cannot use it)');
  for (const region of ['au', 'br', 'ca', 'de', 'es', 'uk', 'jp2', 'jp', 'us'])
    assert.ok(keys.includes(`private.${region}.icr.io`), `every private regional host: ${keys.join(', ')}`);
  // tab indentation, as docker writes it
  assert.ok(
    text
      .split('\n')
      .slice(1, -2)
      .every((line) => /^\t+"/.test(line) || /^\t+[}\]]/.test(line)),
    `tab-indented:\n${text}`,
  );
  assert.ok(text.endsWith('}\n'), 'ends with a newline');
  // the helper really answers for what was routed to it
  assertCreds(
    await get(sb.env, REG),
    { ServerURL: REG, Username: 'bob', Secret: REG_PASSWORD },
    'get for a configured host',
  );
});

test('default DOCKER_CONFIG ~/.docker: configure creates ~/.docker/config.json (0600) if there is none', async () => {
  const sb = box('default-dir');
  delete sb.env.DOCKER_CONFIG;
  await loginOk(sb, REG, 'bob', 'pw');
  const r = await lanyard(sb, ['configure']);
  ok(r, 'configure');
  const path = join(sb.home, '.docker', 'config.json');
  assert.equal(json(path), { credHelpers: { [REG]: 'lanyard' } });
  assert.is(statSync(path).mode & 0o777, 0o600, 'a new config file is private');
  assert.not.ok(existsSync(backup(path)), 'no backup of a file that did not exist');
});

test("containers' auth.json: updated where it exists (Hub as docker.io), created only with --containers", async () => {
  const sb = box('containers');
  await loginUsual(sb);
  const existing = {
    auths: { 'quay.io': { auth: b64('q:quay-secret') } },
    credHelpers: { 'registry.redhat.io': 'secretservice' },
  };
  write(userAuth(sb), `${JSON.stringify(existing, null, 2)}\n`);
  ok(await lanyard(sb, ['configure']), 'configure');
  assert.not.ok(
    existsSync(runtimeAuth(sb)),
    '$XDG_RUNTIME_DIR/containers/auth.json is not created without --containers',
  );
  const text = read(userAuth(sb));
  const after = JSON.parse(text);
  assert.equal(after.auths, existing.auths, 'auths kept');
  assert.is(after.credHelpers['registry.redhat.io'], 'secretservice', 'other helper kept');
  const keys = lanyardKeys(after.credHelpers);
  assert.ok(keys.includes('docker.io') && keys.includes(REG) && keys.includes('us.icr.io'), `keys: ${keys.join(', ')}`);
  assert.not.ok(
    keys.some((k) => k.startsWith('https://')),
    `podman never asks for https://index.docker.io/v1/: ${keys.join(', ')}`,
  );
  assert.match(text, /^\{\n {2}"auths"/, `two-space indentation kept:\n${text}`);

  const r = await lanyard(sb, ['configure', '--containers']);
  ok(r, 'configure --containers');
  assert.match(r.stdout, `updated ${runtimeAuth(sb)}`);
  const created = json(runtimeAuth(sb));
  assert.equal(Object.keys(created), ['credHelpers'], 'a created auth.json holds only credHelpers');
  assert.equal(lanyardKeys(created.credHelpers), keys, 'same registries in both containers files');
  assert.is(statSync(runtimeAuth(sb)).mode & 0o777, 0o600, 'created private');
});

test('REGISTRY_AUTH_FILE replaces the containers search: that file is written, the XDG ones are not', async () => {
  const sb = box('authfile');
  await loginOk(sb, REG, 'bob', 'pw');
  const authFile = join(sb.root, 'ci', 'auth.json');
  const env = { ...sb.env, REGISTRY_AUTH_FILE: authFile };
  ok(await lanyard(sb, ['configure', '--containers'], env), 'configure --containers');
  assert.equal(json(authFile), { credHelpers: { [REG]: 'lanyard' } });
  assert.not.ok(existsSync(runtimeAuth(sb)) || existsSync(userAuth(sb)), 'XDG auth files untouched');
  assert.equal(json(dockerConfig(sb)).credHelpers, { [REG]: 'lanyard' }, 'docker config still written');
});

test('idempotent: the second run has nothing to change and leaves every byte (and the backup) alone', async () => {
  const sb = box('idempotent');
  await loginUsual(sb);
  write(dockerConfig(sb), DOCKER_STYLE({ auths: {}, psFormat: 'x' }));
  write(userAuth(sb), '{"auths": {}}\n');
  ok(await lanyard(sb, ['configure', '--containers']), 'first configure');
  const files = [dockerConfig(sb), userAuth(sb), runtimeAuth(sb), backup(dockerConfig(sb)), backup(userAuth(sb))];
  const before = files.map((f) => ({ f, bytes: readFileSync(f), mtime: statSync(f).mtimeMs }));
  const r = await lanyard(sb, ['configure', '--containers']);
  ok(r, 'second configure');
  assert.is(r.stdout, 'nothing to change: already configured\n', describe(r));
  assert.is(r.stderr, '', 'no warnings');
  for (const { f, bytes, mtime } of before) {
    assert.ok(readFileSync(f).equals(bytes), `${f} bytes changed`);
    assert.is(statSync(f).mtimeMs, mtime, `${f} rewritten`);
  }
  ok(await lanyard(sb, ['configure', '--containers', '--dry-run']), 'dry-run when configured');
});

test('atomic with a backup: old bytes in <file>.lanyard-backup, mode kept, rename, no temp files', async () => {
  const sb = box('atomic');
  await loginOk(sb, REG, 'bob', 'pw');
  const original = DOCKER_STYLE({ auths: {}, detachKeys: 'ctrl-x,x' });
  write(dockerConfig(sb), original, 0o640);
  const inode = statSync(dockerConfig(sb)).ino;
  const r = await lanyard(sb, ['configure']);
  ok(r, 'configure');
  assert.match(r.stdout, `updated ${dockerConfig(sb)} (previous content in ${backup(dockerConfig(sb))})`);
  assert.is(read(backup(dockerConfig(sb))), original, 'backup holds the previous bytes');
  assert.is(statSync(dockerConfig(sb)).mode & 0o777, 0o640, 'mode kept');
  assert.is.not(statSync(dockerConfig(sb)).ino, inode, 'replaced by rename (a new inode), not rewritten in place');
  assert.equal(
    readdirSync(dirname(dockerConfig(sb))).sort(),
    ['config.json', 'config.json.lanyard-backup'],
    'no temp files left',
  );
});

test('--dry-run prints a diff for every file and writes nothing', async () => {
  const sb = box('dry-run');
  await loginOk(sb, REG, 'bob', 'pw');
  const original = DOCKER_STYLE({ auths: {}, credHelpers: { 'gcr.io': 'gcloud' } });
  write(dockerConfig(sb), original);
  const r = await lanyard(sb, ['configure', '--containers', '--dry-run']);
  ok(r, 'configure --dry-run');
  const lines = r.stdout.split('\n');
  assert.ok(lines.includes(`--- ${dockerConfig(sb)}`), `diff header for config.json\n${r.stdout}`);
  assert.ok(lines.includes(`+ \t\t"${REG}": "lanyard"`), `added line in the diff\n${r.stdout}`);
  assert.ok(
    lines.some((l) => l.startsWith('- ') && l.includes('"gcr.io": "gcloud"')),
    `changed line shown as removed…\n${r.stdout}`,
  );
  assert.ok(
    lines.some((l) => l.startsWith('+ ') && l.includes('"gcr.io": "gcloud",')),
    `…and added\n${r.stdout}`,
  );
  assert.ok(lines.includes(`--- ${runtimeAuth(sb)} (new file)`), `new containers file announced\n${r.stdout}`);
  assert.is(read(dockerConfig(sb)), original, 'config.json untouched');
  for (const p of [backup(dockerConfig(sb)), runtimeAuth(sb), userAuth(sb)])
    assert.not.ok(existsSync(p), `${p} written by a dry run`);
});

test('--dry-run shows the files without the secrets in them (auth values are not printed)', async () => {
  const sb = box('dry-run-redact');
  await loginOk(sb, REG, 'bob', 'pw');
  const secret = `quay-${randomBytes(12).toString('hex')}`;
  write(
    dockerConfig(sb),
    DOCKER_STYLE({
      auths: { 'quay.io': { auth: b64(`robot:${secret}`) }, 'ghcr.io': { identitytoken: `${secret}-idt` } },
    }),
  );
  const r = await lanyard(sb, ['configure', '--dry-run']);
  ok(r, 'configure --dry-run');
  assert.ok(r.stdout.includes(`+ \t\t"${REG}": "lanyard"`), `the diff is there\n${r.stdout}`);
  const out = `${r.stdout}${r.stderr}`;
  assert.not.ok(
    out.includes(b64(`robot:${secret}`)) || out.includes(secret),
    `configure --dry-run printed a secret from ${dockerConfig(sb)} (e.g. into CI logs):\n${r.stdout}`,
  );
});

test('--registry configures only the named hosts; a pattern is refused in one line', async () => {
  const sb = box('registry');
  await loginUsual(sb);
  ok(
    await lanyard(sb, ['configure', '--registry', 'ghcr.io', '--registry', 'https://Quay.IO/']),
    'configure --registry',
  );
  assert.equal(
    json(dockerConfig(sb)),
    { credHelpers: { 'ghcr.io': 'lanyard', 'quay.io': 'lanyard' } },
    'only those, normalised',
  );
  const r = await lanyard(sb, ['configure', '--registry', '*.icr.io']);
  oneLineError(r, 'configure --registry *.icr.io', /pattern/);
  assert.equal(
    json(dockerConfig(sb)),
    { credHelpers: { 'ghcr.io': 'lanyard', 'quay.io': 'lanyard' } },
    'unchanged after the refusal',
  );
});

test('a plaintext login in config.json: a warning without the secret; --fix moves it into lanyard', async () => {
  const sb = box('fix-docker');
  await loginOk(sb, REG, 'bob', 'pw');
  const ghSecret = `ghp_${randomBytes(12).toString('hex')}`;
  const hubSecret = `dckr_pat_${randomBytes(12).toString('hex')}`;
  write(
    dockerConfig(sb),
    DOCKER_STYLE({
      auths: {
        'ghcr.io': { auth: b64(`octocat:${ghSecret}`) },
        'https://index.docker.io/v1/': { auth: b64(`hubber:${hubSecret}`) },
        'quay.io': { auth: b64('q:not-lanyards-business') },
      },
    }),
  );
  const warned = await lanyard(sb, ['configure', '--registry', 'ghcr.io', '--registry', 'docker.io']);
  ok(warned, 'configure without --fix');
  for (const key of ['ghcr.io', 'https://index.docker.io/v1/']) {
    assert.ok(
      warned.stderr.includes(`auths["${key}"]`) && warned.stderr.includes(dockerConfig(sb)),
      `warning names ${key} and the file\n${describe(warned)}`,
    );
  }
  assert.match(warned.stderr, /--fix/);
  assert.not.ok(
    `${warned.stdout}${warned.stderr}`.includes(ghSecret) || `${warned.stdout}${warned.stderr}`.includes(hubSecret),
    'a secret was printed',
  );
  assert.not.ok(warned.stderr.includes('quay.io'), `quay.io is not configured: no warning\n${warned.stderr}`);
  assert.ok(json(dockerConfig(sb)).auths['ghcr.io'].auth, 'without --fix the entry stays');

  const fixed = await lanyard(sb, ['configure', '--registry', 'ghcr.io', '--registry', 'docker.io', '--fix']);
  ok(fixed, 'configure --fix');
  assert.match(fixed.stdout, /moved the login for ghcr\.io/);
  assertCreds(
    await get(sb.env, 'ghcr.io'),
    { ServerURL: 'ghcr.io', Username: 'octocat', Secret: ghSecret },
    'get answers the moved ghcr.io login',
  );
  assertCreds(
    await get(sb.env, 'https://index.docker.io/v1/'),
    { ServerURL: 'https://index.docker.io/v1/', Username: 'hubber', Secret: hubSecret },
    'get answers the moved Hub login',
  );
  const after = json(dockerConfig(sb));
  assert.not.ok(
    'ghcr.io' in (after.auths ?? {}) || 'https://index.docker.io/v1/' in (after.auths ?? {}),
    `moved entries removed: ${JSON.stringify(after.auths)}`,
  );
  assert.equal(
    after.auths['quay.io'],
    { auth: b64('q:not-lanyards-business') },
    "an unconfigured registry's login is left alone",
  );
  assert.not.ok(read(dockerConfig(sb)).includes(b64(`octocat:${ghSecret}`)), 'secret gone from config.json');
  const again = await lanyard(sb, ['configure', '--registry', 'ghcr.io', '--registry', 'docker.io', '--fix']);
  ok(again, 'second --fix');
  assert.is(again.stdout, 'nothing to change: already configured\n', describe(again));
});

test('--fix leaves no plaintext copy of a moved secret behind, not even in the .lanyard-backup', async () => {
  const sb = box('fix-backup');
  const secret = `ghp_${randomBytes(12).toString('hex')}`;
  write(dockerConfig(sb), DOCKER_STYLE({ auths: { 'ghcr.io': { auth: b64(`octocat:${secret}`) } } }));
  ok(await lanyard(sb, ['configure', '--registry', 'ghcr.io', '--fix']), 'configure --fix');
  assertCreds(await get(sb.env, 'ghcr.io'), { ServerURL: 'ghcr.io', Username: 'octocat', Secret: secret }, 'moved');
  const dir = dirname(dockerConfig(sb));
  const holding = readdirSync(dir).filter((name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    return text.includes(secret) || text.includes(b64(`octocat:${secret}`));
  });
  assert.equal(
    holding,
    [],
    `the secret --fix moved into lanyard is still in plain files: ${holding.map((n) => join(dir, n)).join(', ')}`,
  );
});

test('--fix when lanyard has a login for that registry: the plaintext one (other user) is not dropped', async () => {
  const sb = box('fix-conflict');
  await loginOk(sb, REG, 'bob', REG_PASSWORD);
  write(dockerConfig(sb), DOCKER_STYLE({ auths: { [REG]: { auth: b64('alice:alice-password') } } }));
  const warned = await lanyard(sb, ['configure']);
  ok(warned, 'configure');
  assert.match(warned.stderr, /plaintext login for alice/);
  const fixed = await lanyard(sb, ['configure', '--fix']);
  ok(fixed, 'configure --fix');
  assertCreds(
    await get(sb.env, REG),
    { ServerURL: REG, Username: 'bob', Secret: REG_PASSWORD },
    "lanyard's own login wins",
  );
  const said = `${fixed.stdout}${fixed.stderr}`.split('\n').filter((line) => line.includes(REG));
  assert.ok(
    said.length > 0,
    `the warning promised to "move it into lanyard", but --fix removed alice's login for ${REG} ` +
      `from ${dockerConfig(sb)} without a word\n${describe(fixed)}`,
  );
});

test('a plaintext login in an existing containers auth.json is flagged, and --fix moves it into lanyard', async () => {
  const sb = box('fix-containers');
  await loginOk(sb, REG, 'bob', 'pw');
  const secret = `quay-${randomBytes(12).toString('hex')}`;
  // what `podman login quay.io` leaves when auth.json has no credHelpers for quay.io
  write(userAuth(sb), `${JSON.stringify({ auths: { 'quay.io': { auth: b64(`robot:${secret}`) } } }, null, '\t')}\n`);
  const warned = await lanyard(sb, ['configure', '--registry', 'quay.io', '--dry-run']);
  ok(warned, 'configure --dry-run');
  assert.ok(
    warned.stderr.includes(`auths["quay.io"]`) && warned.stderr.includes(userAuth(sb)),
    `configure says nothing about the plaintext quay.io login in ${userAuth(sb)}\n${describe(warned)}`,
  );
  const fixed = await lanyard(sb, ['configure', '--registry', 'quay.io', '--fix']);
  ok(fixed, 'configure --fix');
  assertCreds(
    await get(sb.env, 'quay.io'),
    { ServerURL: 'quay.io', Username: 'robot', Secret: secret },
    'get answers the moved quay.io login',
  );
  assert.not.ok(
    read(userAuth(sb)).includes(b64(`robot:${secret}`)),
    `the plaintext login is still in ${userAuth(sb)}:\n${read(userAuth(sb))}`,
  );
});

test("unconfigure removes only lanyard's entries, from every file; a second run changes nothing", async () => {
  const sb = box('unconfigure');
  await loginUsual(sb);
  write(
    dockerConfig(sb),
    DOCKER_STYLE({
      auths: { 'quay.io': { auth: b64('q:x') } },
      credHelpers: { 'gcr.io': 'gcloud' },
      credsStore: 'lanyard',
      psFormat: 'x',
    }),
  );
  write(userAuth(sb), `${JSON.stringify({ credHelpers: { 'registry.redhat.io': 'secretservice' } }, null, 2)}\n`);
  ok(await lanyard(sb, ['configure', '--containers']), 'configure --containers');
  assert.ok(lanyardKeys(json(runtimeAuth(sb)).credHelpers).length > 0);

  const one = await lanyard(sb, ['unconfigure', '--registry', 'docker.io']);
  ok(one, 'unconfigure --registry docker.io');
  for (const key of HUB_DOCKER_KEYS)
    assert.not.ok(key in json(dockerConfig(sb)).credHelpers, `${key} removed from config.json`);
  assert.not.ok('docker.io' in json(userAuth(sb)).credHelpers, 'docker.io removed from auth.json');
  assert.is(json(dockerConfig(sb)).credHelpers[REG], 'lanyard', 'others stay');
  assert.is(json(dockerConfig(sb)).credsStore, 'lanyard', 'credsStore stays when only some registries are named');

  const all = await lanyard(sb, ['unconfigure']);
  ok(all, 'unconfigure');
  assert.equal(
    json(dockerConfig(sb)),
    { auths: { 'quay.io': { auth: b64('q:x') } }, credHelpers: { 'gcr.io': 'gcloud' }, psFormat: 'x' },
    'config.json: only lanyard removed',
  );
  assert.equal(
    json(userAuth(sb)),
    { credHelpers: { 'registry.redhat.io': 'secretservice' } },
    'auth.json: only lanyard removed',
  );
  assert.equal(json(runtimeAuth(sb)), {}, 'the runtime auth.json has no lanyard entry left');
  const bytes = [dockerConfig(sb), userAuth(sb), runtimeAuth(sb)].map((f) => read(f));
  const again = await lanyard(sb, ['unconfigure']);
  ok(again, 'second unconfigure');
  assert.match(again.stdout, /^nothing to change/);
  assert.equal(
    [dockerConfig(sb), userAuth(sb), runtimeAuth(sb)].map((f) => read(f)),
    bytes,
    'bytes unchanged',
  );
});

test('configure then unconfigure gives back the original bytes of a docker-written config.json', async () => {
  const sb = box('round-trip');
  await loginUsual(sb);
  const original = DOCKER_STYLE({
    auths: { 'quay.io': { auth: b64('q:x') } },
    credHelpers: { 'gcr.io': 'gcloud' },
    currentContext: 'colima',
  });
  write(dockerConfig(sb), original);
  ok(await lanyard(sb, ['configure']), 'configure');
  assert.is.not(read(dockerConfig(sb)), original);
  ok(await lanyard(sb, ['unconfigure']), 'unconfigure');
  assert.is(read(dockerConfig(sb)), original);
});

test('bad JSON in config.json or auth.json: one clear line, exit 1, every file untouched', async () => {
  const sb = box('bad-json');
  await loginOk(sb, REG, 'bob', 'pw');
  const broken = '{\n\t"auths": {\n\t\t"quay.io": {"auth": "eA=="},\n\t}\n';
  write(dockerConfig(sb), broken);
  for (const args of [['configure'], ['configure', '--dry-run'], ['configure', '--fix'], ['unconfigure']]) {
    const r = await lanyard(sb, args);
    oneLineError(
      r,
      args.join(' '),
      new RegExp(`${dockerConfig(sb).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*not valid JSON`),
    );
    assert.is(read(dockerConfig(sb)), broken, `${args.join(' ')}: file untouched`);
    assert.not.ok(existsSync(backup(dockerConfig(sb))), `${args.join(' ')}: no backup written`);
  }
  write(dockerConfig(sb), DOCKER_STYLE({ auths: {} }));
  write(userAuth(sb), '["not", "an", "object"]\n');
  const r = await lanyard(sb, ['configure']);
  oneLineError(r, 'configure with a bad auth.json', /auth\.json: must be a JSON object, not a list/);
  assert.equal(json(dockerConfig(sb)), { auths: {} }, 'config.json not half-configured');
  assert.is(read(userAuth(sb)), '["not", "an", "object"]\n');
});

test('a symlinked config.json (dotfiles) stays a symlink; its target gets the credHelpers', async () => {
  const sb = box('symlink');
  await loginOk(sb, REG, 'bob', 'pw');
  const target = join(sb.home, 'dotfiles', 'docker-config.json');
  write(target, DOCKER_STYLE({ psFormat: 'x' }));
  mkdirSync(dirname(dockerConfig(sb)), { recursive: true });
  symlinkSync(target, dockerConfig(sb));
  ok(await lanyard(sb, ['configure']), 'configure');
  assert.ok(
    lstatSync(dockerConfig(sb)).isSymbolicLink(),
    `${dockerConfig(sb)} was replaced by a regular file (docker's own config writer resolves the link)`,
  );
  assert.equal(json(target), { psFormat: 'x', credHelpers: { [REG]: 'lanyard' } }, 'the link target is updated');
});

test.run();
