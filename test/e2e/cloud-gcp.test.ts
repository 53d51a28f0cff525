// The gcp kind end to end with the compiled binary: a Google service-account key (or an authorized_user file)
// is checked at login by one exchange and kept in the store; clients (skopeo, podman, the real Docker Engine)
// get only `oauth2accesstoken` + a 1-hour access token, which the token registry's Google validator accepts.
// Google's token endpoint is the stand-in (test/fixtures/google.ts), reached through the key file's token_uri;
// registry host names such as us-docker.pkg.dev are only names here (lanyard never contacts a registry).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as googleFixture from '../fixtures/google.js';
import type * as registryFixture from '../fixtures/token-registry.js';
import type { Sandbox } from './support/sandbox.js';
import { storeModeSandboxes, STORE_MODES, type StoreMode, type StoreModeSandboxes } from './support/store-modes.js';
import { buildImage, ociDigest, type OciImage } from './support/image.js';
import { writeAuthFile, writeDockerConfig } from './support/client-config.js';
import { runHelper, store, NOT_FOUND } from './support/helper.js';
import { assertNoLeak, assertOneLineError } from './support/asserts.js';
import { run, describe, type RunResult } from './support/run.js';
import {
  assertNoSecretOnDisk,
  cacheRecord,
  fileStoreSandbox,
  forgetCachedToken,
  getWith,
  logText,
  parseCreds,
  sleep,
  startDaemon,
  waitFor,
  type Daemon,
} from './support/exchange-env.js';
import { clientOk, containersClients, pushAndPullBack, toolTests } from './support/clients-containers.js';
import * as cloud from './support/cloud.js';
import { setUp, stopAll } from './support/lifecycle.js';
import { dockerClientEnv, startDockerEngine, type DockerEngine } from './support/docker-engine.js';

const AR = 'us-docker.pkg.dev';
const USERNAME = googleFixture.ACCESS_TOKEN_USERNAME;

let google: googleFixture.GoogleHandle;
let registry: registryFixture.TokenRegistryHandle | undefined;
let stores: StoreModeSandboxes | undefined;
let engine: DockerEngine | undefined;
let daemon: Daemon | undefined;
let daemonBox: Sandbox | undefined;
let image: OciImage;
let policy: string;
let key: googleFixture.ServiceAccountKeyFile;
let keyText: string;
/** Every login the token registry's Google validator was asked about, in order. */
const presented: cloud.Login[] = [];
const secrets: Record<string, string> = {};

const { toolTest } = await toolTests('cloud-gcp');

test.before(() =>
  setUp('cloud-gcp', async () => {
    google = await googleFixture.start();
    registry = await cloud.startCloudRegistry(google.registryLogin, presented);
    stores = await storeModeSandboxes('cloud-gcp');
    engine = await startDockerEngine('cloud-gcp');
    image = await buildImage(stores.boxes.file);
    policy = cloud.writeAcceptAnythingPolicy(stores.boxes.file.root);
    key = google.makeServiceAccountKey();
    keyText = JSON.stringify(key, null, 2);
    secrets['private key'] = key.private_key.split('\n')[1]!;
  }),
);

test.after(async () => {
  await stopAll('cloud-gcp', [
    ['daemon', daemon && (() => daemon!.stop(3000))],
    ['engine', engine && (() => engine!.stop())],
    ['registry', registry && (() => registry!.stop())],
    ['google', google && (() => google.stop())],
    ['stores', stores && (() => stores!.cleanup())],
  ]);
  daemonBox?.cleanup();
});

const envOf = (mode: StoreMode) => stores!.boxes[mode].env;
const file = () => stores!.boxes.file;
const jwtGrants = () => google.counts.byGrant['jwt-bearer'] ?? 0;

/** `login SERVER [extra] --password-stdin` with a key file on stdin (no -u: the key names its owner). */
const loginKey = (env: NodeJS.ProcessEnv, server: string, text: string, extra: string[] = []) =>
  runHelper(['login', server, ...extra, '--password-stdin'], { env, stdin: text, timeoutMs: 20_000 });

async function loginKeyOk(env: NodeJS.ProcessEnv, server: string, text: string, extra: string[] = []) {
  const r = await loginKey(env, server, text, extra);
  assert.is(r.code, 0, `login ${server}\n${describe(r)}`);
  return r;
}

/** `get` answered a live Google access token of `email`. */
function assertGoogleToken(r: RunResult, what: string, email = key.client_email): string {
  const creds = parseCreds(r, what);
  assert.is(creds.Username, USERNAME, `${what}: username`);
  assert.is(google.registryLogin(USERNAME, creds.Secret), email, `${what}: a live token of ${email}`);
  return creds.Secret;
}

/** A real failure: one line on stdout, exit 1, never not-found, never the key. */
function assertRealError(r: RunResult, what: string, pattern: RegExp): void {
  assertOneLineError(r, what);
  assert.is.not(r.stdout.trim(), NOT_FOUND, `${what}: disguised as not-found\n${describe(r)}`);
  assert.match(r.stdout, pattern, `${what}\n${describe(r)}`);
  assertNoLeak(r, secrets['private key']!, what);
}

const skopeo = (args: string[], env: NodeJS.ProcessEnv) =>
  run('skopeo', ['--policy', policy, ...args], { env, timeoutMs: 60_000 });

// ---- login -----------------------------------------------------------------------------------------

test('login without -u: one exchange checks the key; stored as gcp under its client_email', async () => {
  const before = google.counts.total;
  const r = await loginKeyOk(file().env, AR, keyText);
  assert.match(r.stderr, `Stored gcp login for ${AR} (user ${key.client_email})`);
  assertNoLeak(r, secrets['private key']!, 'login');
  assert.is(google.counts.total - before, 1, 'one exchange at login');
  const entries = await cloud.lsEntries(file().env);
  assert.equal(
    entries.map((e) => [e.server, e.kind, e.username, e.store]),
    [[AR, 'gcp', key.client_email, 'file']],
  );
  assert.ok(readFileSync(file().secretsFile, 'utf8').includes(JSON.stringify(keyText)), 'the key file, as given');
});

test('login refuses a deleted key (invalid_grant) and a broken key file; nothing is stored', async () => {
  const doomed = google.makeServiceAccountKey();
  google.revokeKey(doomed.private_key_id);
  const refused = await loginKey(file().env, 'eu.gcr.io', JSON.stringify(doomed));
  assert.is(refused.code, 1, describe(refused));
  assert.match(
    refused.stderr,
    new RegExp(
      "^docker-credential-lanyard: the login for eu\\.gcr\\.io was not stored: Google's token endpoint at " +
        'http://127\\.0\\.0\\.1:\\d+ refused the key of .* ' +
        '\\(invalid_grant: Invalid JWT Signature\\.\\): .*create a new key',
    ),
  );
  assert.is(refused.stderr.trim().split('\n').length, 1, 'one line');
  const broken = await loginKey(file().env, 'eu.gcr.io', JSON.stringify({ ...key, private_key: 'MIIxyz' }));
  assert.is(broken.code, 1, describe(broken));
  assert.match(broken.stderr, /the Google key file given: private_key is not a PEM private key/);
  const paste = await loginKey(file().env, 'eu.gcr.io', key.private_key);
  assert.match(paste.stderr, /the Google key file given is not JSON/);
  assertNoLeak(paste, secrets['private key']!, 'a pasted private key');
  assert.equal(
    (await cloud.lsEntries(file().env)).map((e) => e.server),
    [AR],
    'nothing stored',
  );
  assert.not.ok(readFileSync(file().secretsFile, 'utf8').includes(doomed.private_key_id), 'no secret of it either');
});

test('get: oauth2accesstoken + a live token; the cache holds the token (expires_in), never the key', async () => {
  const token = assertGoogleToken(await getWith(file().env, AR), 'get');
  const record = cacheRecord(file(), AR);
  assert.is(record?.token?.secret, token);
  const lifetimeS = (record!.token!.expiresAt! - record!.token!.issuedAt) / 1000;
  assert.ok(Math.abs(lifetimeS - 3599) < 5, `lifetime from expires_in: ${lifetimeS} s`);
  const before = google.counts.total;
  assert.is(assertGoogleToken(await getWith(file().env, AR), 'again'), token, 'from the cache');
  assert.is(google.counts.total, before);
});

test('store (docker login): _json_key and _json_key_base64 become gcp, pasted tokens stay static', async () => {
  const env = file().env;
  const legacy = google.makeServiceAccountKey();
  const legacyText = JSON.stringify(legacy);
  const base64 = google.makeServiceAccountKey();
  const logins = [
    { ServerURL: 'gcr.io', Username: '_json_key', Secret: legacyText },
    {
      ServerURL: 'us.gcr.io',
      Username: '_json_key_base64',
      Secret: Buffer.from(JSON.stringify(base64)).toString('base64'),
    },
    { ServerURL: 'asia.gcr.io', Username: USERNAME, Secret: 'ya29.pasted-token' },
  ];
  for (const creds of logins) assert.is((await store(env, creds)).code, 0, creds.ServerURL);
  const kept = await runHelper(['login', 'eu.gcr.io', '-u', '_json_key', '--kind', 'static', '--password-stdin'], {
    env,
    stdin: legacyText,
  });
  assert.is(kept.code, 0, describe(kept));
  const byServer = Object.fromEntries((await cloud.lsEntries(env)).map((e) => [e.server, [e.kind, e.username]]));
  assert.equal(byServer['gcr.io'], ['gcp', legacy.client_email]);
  assert.equal(byServer['us.gcr.io'], ['gcp', base64.client_email]);
  assert.equal(byServer['asia.gcr.io'], ['static', USERNAME]);
  assert.equal(byServer['eu.gcr.io'], ['static', '_json_key']);
  assertGoogleToken(await getWith(env, 'gcr.io'), '_json_key upgraded', legacy.client_email);
  assertGoogleToken(await getWith(env, 'us.gcr.io'), '_json_key_base64 upgraded', base64.client_email);
  assert.equal(parseCreds(await getWith(env, 'asia.gcr.io'), 'static').Secret, 'ya29.pasted-token');
  assert.equal(parseCreds(await getWith(env, 'eu.gcr.io'), 'kept').Secret, legacyText);
  const secretsFile = readFileSync(file().secretsFile, 'utf8');
  assert.ok(secretsFile.includes(JSON.stringify(JSON.stringify(base64))), 'the base64 login is stored decoded');
});

// ---- clients through the token registry ------------------------------------------------------------

test('skopeo pushes and pulls: 4 operations, 1 exchange; the registry sees only oauth2accesstoken', async () => {
  const host = registry!.host;
  const grants = jwtGrants();
  await loginKeyOk(file().env, host, keyText, ['--kind', 'gcp']);
  const authFile = writeAuthFile(join(file().root, 'auth.json'), [host]);
  const seen = presented.length;
  const started = Date.now();
  const copy = (args: string[]) => skopeo(['copy', '--authfile', authFile, ...args], file().env);
  clientOk(await copy(['--dest-tls-verify=false', image.ref, `docker://${host}/gcp/app:1`]), 'push 1');
  clientOk(await copy(['--dest-tls-verify=false', image.ref, `docker://${host}/gcp/app:2`]), 'push 2');
  const tags = await skopeo(
    ['list-tags', '--authfile', authFile, '--tls-verify=false', `docker://${host}/gcp/app`],
    file().env,
  );
  clientOk(tags, 'list-tags');
  const back = file().dir('pulled');
  clientOk(await copy(['--src-tls-verify=false', `docker://${host}/gcp/app:2`, `oci:${back}:back`]), 'pull');
  assert.is(ociDigest(back, 'back'), image.digest, 'the pulled image is the pushed one');
  console.log(`[cloud-gcp] 4 skopeo operations in ${Date.now() - started} ms`);
  assert.is(jwtGrants() - grants, 1, "one exchange, login's check, served them all");
  const logins = presented.slice(seen);
  assert.ok(logins.length >= 4, `credentials presented per operation (${logins.length})`);
  assert.equal([...new Set(logins.map((l) => l.username))], [USERNAME], 'only oauth2accesstoken');
  assert.is(new Set(logins.map((l) => l.password)).size, 1, 'one token');
  assert.ok(
    registry!.requests.filter((r) => r.username).every((r) => r.granted),
    'every login granted',
  );
});

test('[keychain] the key in the Secret Service: 5 gets and a skopeo push cost 1 exchange', async () => {
  const env = envOf('keychain');
  const other = google.makeServiceAccountKey();
  const grants = jwtGrants();
  await loginKeyOk(env, registry!.host, JSON.stringify(other), ['--kind', 'gcp']);
  const items = await stores!.keyring.items();
  assert.is(items.length, 1, JSON.stringify(items));
  assert.is(await stores!.keyring.secret(items[0]!.attributes), JSON.stringify(other), 'the keychain holds the key');
  const tokens = new Set<string>();
  for (let i = 0; i < 5; i++)
    tokens.add(assertGoogleToken(await getWith(env, registry!.host), `get ${i}`, other.client_email));
  assert.is(tokens.size, 1);
  const authFile = writeAuthFile(join(stores!.boxes.keychain.root, 'auth.json'), [registry!.host]);
  const push = await skopeo(
    ['copy', '--authfile', authFile, '--dest-tls-verify=false', image.ref, `docker://${registry!.host}/gcp/kc:1`],
    env,
  );
  clientOk(push, 'push with the keychain login');
  assert.is(jwtGrants() - grants, 1, "one exchange: login's check");
});

toolTest('podman', 'pushes and pulls through lanyard with the gcp login (file store)', async () => {
  const box = file();
  const dockerDir = box.dir('podman-docker-config');
  writeDockerConfig(dockerDir, [registry!.host]);
  const tools = containersClients(box, { ...box.env, DOCKER_CONFIG: dockerDir });
  try {
    const seen = presented.length;
    const { pushedId, pulledId } = await pushAndPullBack(tools, 'podman', image, registry!.host, 'gcp/podman');
    assert.is(pulledId, pushedId, 'podman pulled back what it pushed');
    const users = new Set(presented.slice(seen).map((l) => l.username));
    assert.equal([...users], [USERNAME], 'podman presented only oauth2accesstoken');
  } finally {
    tools.cleanup();
  }
});

for (const mode of STORE_MODES) {
  test(`[${mode}] the Docker Engine pushes and pulls back with the gcp login`, async () => {
    const box = stores!.boxes[mode];
    const { env } = dockerClientEnv(box, engine!, [registry!.host], { LANYARD_STORE: mode });
    const ref = `${registry!.host}/gcp/engine-${mode}:1`;
    const seen = presented.length;
    await cloud.assertEngineRoundTrip(env, box.dir(`engine-image-${mode}`), ref);
    const users = new Set(presented.slice(seen).map((l) => l.username));
    assert.equal([...users], [USERNAME], 'the engine presented only oauth2accesstoken');
  });
}

// ---- concurrency and faults --------------------------------------------------------------------------

test('100 concurrent cold gets: 1 exchange, one token for all', async () => {
  const server = 'europe-west1-docker.pkg.dev';
  await loginKeyOk(file().env, server, keyText);
  forgetCachedToken(file(), server); // cold: the token login's check got is gone, as after a reboot
  google.faults.latencyMs = 300; // widen the window in which the processes overlap
  try {
    const grants = jwtGrants();
    const started = Date.now();
    const rs = await Promise.all(Array.from({ length: 100 }, () => getWith(file().env, server, 120_000)));
    const tokens = new Set(rs.map((r, i) => parseCreds(r, `get ${i}`).Secret));
    console.log(`[cloud-gcp] 100 concurrent cold gets in ${Date.now() - started} ms`);
    assert.is(tokens.size, 1, `${tokens.size} distinct answers`);
    assert.is(jwtGrants() - grants, 1, 'exactly one exchange');
  } finally {
    google.faults.latencyMs = 0;
  }
});

test('429 with Retry-After and a 503 are retried: the get succeeds, waiting as told', async () => {
  const server = 'asia-east1-docker.pkg.dev';
  await loginKeyOk(file().env, server, keyText);
  forgetCachedToken(file(), server); // the get must exchange: the check's token gone, as after a reboot
  google.faults.throttle(1, 1);
  let before = google.counts.total;
  const started = Date.now();
  assertGoogleToken(await getWith(file().env, server), 'get after a 429');
  const ms = Date.now() - started;
  assert.is(google.counts.total - before, 2, 'a 429, then the exchange');
  assert.ok(ms >= 1000 && ms < 8000, `waited for Retry-After 1 s, within the inline budget (${ms} ms)`);
  await loginKeyOk(file().env, 'asia-east2-docker.pkg.dev', keyText);
  forgetCachedToken(file(), 'asia-east2-docker.pkg.dev');
  google.faults.fail(1, 503);
  before = google.counts.total;
  assertGoogleToken(await getWith(file().env, 'asia-east2-docker.pkg.dev'), 'get after a 503');
  assert.is(google.counts.total - before, 2, 'a 503, then the exchange');
});

test('a key deleted after login: 20 concurrent gets, 1 request, one line naming invalid_grant', async () => {
  const server = 'doomed-docker.pkg.dev';
  const doomed = google.makeServiceAccountKey();
  await loginKeyOk(file().env, server, JSON.stringify(doomed));
  google.revokeKey(doomed.private_key_id);
  forgetCachedToken(file(), server); // nothing cached: the token login's check got is gone, as after a reboot
  const before = google.counts.errors.invalid_grant ?? 0;
  const rs = await Promise.all(Array.from({ length: 20 }, () => getWith(file().env, server, 60_000)));
  for (const [i, r] of rs.entries()) {
    assertRealError(
      r,
      `get ${i}`,
      /cannot get a token for doomed-docker\.pkg\.dev: .*invalid_grant: Invalid JWT Signature.*create a new key/,
    );
  }
  assert.is((google.counts.errors.invalid_grant ?? 0) - before, 1, 'one request for 20 gets');
  assertRealError(await getWith(file().env, server), 'right after', /invalid_grant/);
  assert.is((google.counts.errors.invalid_grant ?? 0) - before, 1, 'a permanent refusal is not re-asked at once');
});

// ---- other ways out ----------------------------------------------------------------------------------

test('kubelet mode and export give oauth2accesstoken + the token, never the key', async () => {
  const kubelet = await cloud.kubeletLogin(file().env, `${AR}/proj/repo/app:1`, AR);
  assert.is(kubelet.login?.username, USERNAME);
  assert.is(google.registryLogin(USERNAME, kubelet.login!.password), key.client_email, 'a live token');
  const exported = await cloud.exportedLogin(file().env, AR);
  assert.is(exported.login?.username, USERNAME);
  assert.is(google.registryLogin(USERNAME, exported.login!.password), key.client_email);
  for (const r of [kubelet.run, exported.run]) assertNoLeak(r, secrets['private key']!, 'kubelet/export');
});

test('ls shows the entry and its token; doctor names the identity the token belongs to', async () => {
  const ls = await runHelper(['ls'], { env: file().env });
  assert.match(ls.stdout, new RegExp(`^${AR.replace(/\./g, '\\.')} +gcp +${key.client_email} +file +valid`, 'm'));
  const doctor = await runHelper(['doctor'], { env: file().env, timeoutMs: 60_000 });
  assert.match(
    doctor.stdout,
    `${AR}: exchange succeeded (${USERNAME} for ${key.client_email}, valid 60 min)`,
    describe(doctor),
  );
  assert.match(doctor.stdout, /doomed-docker\.pkg\.dev: .*invalid_grant/, 'the deleted key is reported');
});

test('configure writes credHelpers for every Artifact Registry host a pattern login covers', async () => {
  const box = fileStoreSandbox('cloud-gcp-configure');
  try {
    await loginKeyOk(box.env, '*-docker.pkg.dev', keyText);
    const r = await runHelper(['configure'], { env: box.env, timeoutMs: 20_000 });
    assert.is(r.code, 0, describe(r));
    const config = JSON.parse(readFileSync(join(box.home, '.docker', 'config.json'), 'utf8')) as {
      credHelpers: Record<string, string>;
    };
    for (const host of ['us-docker.pkg.dev', 'europe-west4-docker.pkg.dev', 'me-central2-docker.pkg.dev']) {
      assert.is(config.credHelpers[host], 'lanyard', host);
    }
  } finally {
    box.cleanup();
  }
});

test('the daemon refreshes ahead of expiry (20 s tokens): gets over 1.4 lifetimes never exchange inline', async () => {
  daemonBox = fileStoreSandbox('cloud-gcp-daemon');
  const lifetimeS = 20;
  google.setTokenLifetime(lifetimeS);
  try {
    await loginKeyOk(daemonBox.env, AR, keyText);
    forgetCachedToken(daemonBox, AR); // as after a reboot: the daemon exchanges at start
    daemon = await startDaemon(daemonBox);
    const first = await waitFor('the daemon exchange', () => cacheRecord(daemonBox!, AR)?.token, 10_000);
    const seen = new Set<string>([first.secret]);
    let firstChangeAt: number | undefined;
    const end = Date.now() + lifetimeS * 1400;
    while (Date.now() < end) {
      const token = assertGoogleToken(await getWith(daemonBox.env, AR), 'get under the daemon');
      if (!seen.has(token)) firstChangeAt ??= Date.now();
      seen.add(token);
      await sleep(200);
    }
    assert.ok(firstChangeAt, `the gets saw a refreshed token (${seen.size} tokens)`);
    const at = (firstChangeAt! - first.issuedAt) / (first.expiresAt! - first.issuedAt);
    assert.ok(at > 0.75 && at < 1, `the refreshed token was answered at ${(at * 100).toFixed(1)} % of the lifetime`);
    const exchanges = logText(daemonBox).match(/\[\w+ \d+\] [^\n]*exchanged a token for us-docker/g) ?? [];
    assert.ok(exchanges.length >= 2, `the exchanges are logged:\n${logText(daemonBox)}`);
    const inline = exchanges.filter((line) => !line.startsWith('[daemon'));
    assert.equal(inline, [], 'only the daemon exchanged');
    console.log(`[cloud-gcp] daemon: ${exchanges.length} exchanges, first refresh seen at ${(at * 100).toFixed(1)} %`);
  } finally {
    google.setTokenLifetime(3599);
    await daemon?.stop(3000);
    daemon = undefined;
  }
});

test('secrets never on disk outside the store', async () => {
  for (const mode of STORE_MODES) assertNoSecretOnDisk(stores!.boxes[mode], secrets);
  if (daemonBox) assertNoSecretOnDisk(daemonBox, secrets);
});

test('the engine stops by its PID and leaves no process behind', async () => {
  const stopped = await engine!.stop();
  assert.equal([stopped.killed, stopped.leftovers], [false, []]);
});

test.run();
