// The IBM Cloud API-key flow end to end: the compiled binary holds an API key (`login -u iamapikey
// --iam-endpoint`), skopeo finds it through credHelpers in its --authfile, and a real docker-registry with
// token auth (whose token server accepts only `iambearer` + a valid IAM access token) sees only short-lived
// IAM tokens. One IAM exchange serves many pushes and pulls. File store, plus one keychain case.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import * as registryFixture from '../fixtures/token-registry.js';
import { setUp, stopAll } from './support/lifecycle.js';
import type { Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { buildImage, ociDigest, type OciImage } from './support/image.js';
import { writeAuthFile } from './support/client-config.js';
import { runHelper } from './support/helper.js';
import { freePort } from './support/port.js';
import { run, describe, type RunResult } from './support/run.js';
import {
  assertNoSecretOnDisk,
  cacheFiles,
  cacheRecord,
  fileStoreSandbox,
  getWith,
  loginIam,
  logText,
  parseCreds,
} from './support/exchange-env.js';

const APIKEY = `iam-e2e-key-${randomBytes(16).toString('hex')}`;
const KEYCHAIN_APIKEY = `iam-e2e-keychain-key-${randomBytes(16).toString('hex')}`;

let sb: Sandbox;
let kcBox: Sandbox;
let keyring: Keyring | undefined;
let iam: iamFixture.IamHandle | undefined;
let registry: registryFixture.TokenRegistryHandle | undefined;
let image: OciImage;
let authFile: string;
let policy: string;
let clientEnv: NodeJS.ProcessEnv;
/** Every password the token server was asked to accept as `iambearer`. */
const presented: string[] = [];

test.before(() =>
  setUp('exchange-iam', async () => {
    sb = fileStoreSandbox('exchange-iam');
    kcBox = fileStoreSandbox('exchange-iam-keychain');
    iam = await iamFixture.start({ apikeys: [APIKEY, KEYCHAIN_APIKEY] });
    const recordingIam = {
      validateToken: (token: string) => {
        presented.push(token);
        return iam!.validateToken(token);
      },
    };
    registry = await registryFixture.start({ iam: recordingIam });
    image = await buildImage(sb);
    policy = join(sb.root, 'policy.json');
    writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
    const registriesConf = join(sb.root, 'registries.conf');
    writeFileSync(registriesConf, 'unqualified-search-registries = []\n');
    authFile = writeAuthFile(join(sb.root, 'auth.json'), [registry.host]);
    clientEnv = { ...sb.env, CONTAINERS_REGISTRIES_CONF: registriesConf };
  }),
);

test.after(async () => {
  const pid = registry?.registryPid;
  await stopAll('exchange-iam', [
    ['registry', registry && (() => registry!.stop())],
    ['iam', iam && (() => iam!.stop())],
    ['keyring', keyring && (() => keyring!.stop())],
  ]);
  if (pid !== undefined) assert.throws(() => process.kill(pid, 0), /ESRCH/, 'the registry process is gone');
  sb?.cleanup();
  kcBox?.cleanup();
});

const skopeo = (args: string[], env = clientEnv): Promise<RunResult> =>
  run('skopeo', ['--policy', policy, ...args], { env, timeoutMs: 60_000 });

function skopeoOk(r: RunResult, what: string): void {
  assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
  assert.is(r.code, 0, `${what} failed\n${describe(r)}`);
}

test('login refuses a key it cannot check (IAM unreachable, or the key refused): nothing stored', async () => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  for (const server of ['*.icr.io', registry!.host]) {
    const unreachable = await runHelper(
      ['login', server, '-u', 'iamapikey', '--iam-endpoint', closed, '--password-stdin'],
      { env: sb.env, stdin: APIKEY },
    );
    assert.is(unreachable.code, 1, describe(unreachable));
    assert.match(unreachable.stderr, /^docker-credential-lanyard: the login for .* was not stored: .*\n$/);
  }
  const refused = await runHelper(
    ['login', registry!.host, '-u', 'iamapikey', '--iam-endpoint', iam!.url, '--password-stdin'],
    {
      env: sb.env,
      stdin: 'not-a-key-iam-knows',
    },
  );
  assert.is(refused.code, 1, describe(refused));
  assert.match(refused.stderr, 'was not stored');
  const ls = await runHelper(['ls', '--json'], { env: sb.env });
  assert.equal(JSON.parse(ls.stdout), [], 'nothing stored');
  assert.equal(cacheFiles(sb), [], 'nothing cached');
  assert.is(iam!.counts.total, 1, 'the refused key was asked once, not retried');
  iam!.resetCounts();
});

test('`store` (docker login) keeps a key while IAM is away: the client checked it with the registry', async () => {
  const closed = `http://127.0.0.1:${await freePort()}`;
  const env = { ...sb.env, LANYARD_IAM_ENDPOINT: closed };
  const stored = await runHelper(['store'], {
    env,
    stdin: JSON.stringify({ ServerURL: 'offline.icr.io', Username: 'iamapikey', Secret: APIKEY }),
  });
  assert.is(stored.code, 0, describe(stored));
  assert.is((await runHelper(['erase'], { env, stdin: 'offline.icr.io' })).code, 0);
});

test('login checks the API key (kind ibm-iam) with one IAM exchange and caches the token it got', async () => {
  const r = await loginIam(sb.env, registry!.host, APIKEY, iam!.url);
  assert.not.ok(r.stdout.includes(APIKEY) || r.stderr.includes(APIKEY), 'login echoes the key');
  const ls = await runHelper(['ls', '--json'], { env: sb.env });
  assert.is(ls.code, 0, describe(ls));
  const entries = JSON.parse(ls.stdout) as Array<Record<string, string>>;
  assert.equal(
    entries.map((e) => [e.server, e.kind, e.username, e.store]),
    [[registry!.host, 'ibm-iam', 'iamapikey', 'file']],
  );
  assert.equal(iam!.counts.byApikey, { [APIKEY]: 1 }, 'one IAM exchange checked the key');
  const record = cacheRecord(sb, registry!.host);
  assert.ok(record?.token && iam!.validateToken(record.token.secret).ok, 'the check left a live token in the cache');
});

test('skopeo pushes and pulls through lanyard: 5 operations, 1 IAM exchange, only iambearer seen', async () => {
  const host = registry!.host;
  const started = Date.now();
  skopeoOk(
    await skopeo(['copy', '--authfile', authFile, '--dest-tls-verify=false', image.ref, `docker://${host}/team/app:1`]),
    'push 1',
  );
  skopeoOk(
    await skopeo(['copy', '--authfile', authFile, '--dest-tls-verify=false', image.ref, `docker://${host}/team/app:2`]),
    'push 2',
  );
  const inspect = await skopeo([
    'inspect',
    '--authfile',
    authFile,
    '--tls-verify=false',
    `docker://${host}/team/app:1`,
  ]);
  skopeoOk(inspect, 'inspect');
  assert.is(
    (JSON.parse(inspect.stdout) as { Digest: string }).Digest,
    image.digest,
    'the registry serves the pushed manifest',
  );
  const tags = await skopeo(['list-tags', '--authfile', authFile, '--tls-verify=false', `docker://${host}/team/app`]);
  skopeoOk(tags, 'list-tags');
  assert.equal((JSON.parse(tags.stdout) as { Tags: string[] }).Tags.sort(), ['1', '2']);
  const back = sb.dir('pulled');
  skopeoOk(
    await skopeo([
      'copy',
      '--authfile',
      authFile,
      '--src-tls-verify=false',
      `docker://${host}/team/app:2`,
      `oci:${back}:back`,
    ]),
    'pull',
  );
  assert.is(ociDigest(back, 'back'), image.digest, 'pulled digest equals the pushed image');
  console.log(`[exchange-iam] 5 skopeo operations in ${Date.now() - started} ms`);

  assert.is(
    iam!.counts.byGrant.apikey,
    1,
    `one API-key exchange served all five operations; IAM counts ${JSON.stringify(iam!.counts)}`,
  );
  assert.is(iam!.counts.total, 1, 'no other IAM request');
  assert.equal(iam!.counts.byApikey, { [APIKEY]: 1 });

  const withUser = registry!.requests.filter((r) => r.username !== null);
  assert.ok(
    withUser.length >= 5,
    `the token server was asked with credentials at least once per operation (${withUser.length})`,
  );
  assert.equal(
    [...new Set(withUser.map((r) => r.username))],
    ['iambearer'],
    'only iambearer logins reached the token server',
  );
  assert.ok(
    withUser.every((r) => r.granted),
    'every iambearer login was granted',
  );
  assert.ok(presented.length >= withUser.length, 'the token server checked every password with IAM');
  assert.not.ok(
    presented.some((p) => p.includes(APIKEY)),
    'the API key reached the registry',
  );
  assert.equal([...new Set(presented)].length, 1, 'one IAM token for all operations');
  const check = iam!.validateToken(presented[0]!);
  assert.ok(
    check.ok && check.apikeyId === iam!.apikeyId(APIKEY),
    `the registry got a valid IAM token of our key: ${JSON.stringify(check)}`,
  );
});

test('get answers iambearer + the cached IAM token; the cache holds the token, never the key', async () => {
  const before = iam!.counts.total;
  const creds = parseCreds(await getWith(sb.env, registry!.host), 'get');
  assert.is(creds.ServerURL, registry!.host);
  assert.is(creds.Username, 'iambearer');
  assert.is(creds.Secret, presented[0], 'the same token skopeo used');
  assert.is(iam!.counts.total, before, 'answered from the cache');
  const record = cacheRecord(sb, registry!.host);
  assert.ok(record?.token, 'a cache record with a token');
  assert.is(record!.token!.secret, creds.Secret);
  const lifetimeS = (record!.token!.expiresAt! - record!.token!.issuedAt) / 1000;
  assert.ok(Math.abs(lifetimeS - 3600) < 5, `cached expiry follows expires_in (3600 s), got ${lifetimeS} s`);
  assert.match(logText(sb), `cached the token the login check for ${registry!.host} was answered`);
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
  assert.equal(
    [mode(join(sb.runtimeDir, 'lanyard')), mode(join(sb.runtimeDir, 'lanyard', 'tokens'))],
    ['700', '700'],
    'runtime and token dirs owner-only',
  );
  assert.equal(cacheFiles(sb).map(mode), ['600'], 'the cache file is owner-only');
  assert.is(mode(sb.logFile), '600', 'the log is owner-only');
});

test('[keychain] API key in the Secret Service: 5 gets and a skopeo push cost 1 IAM request', async () => {
  keyring = await startKeyring(kcBox);
  const env = { ...kcBox.env, LANYARD_STORE: 'keychain' };
  await loginIam(env, registry!.host, KEYCHAIN_APIKEY, iam!.url);
  const items = await keyring.items();
  assert.is(items.length, 1, `one lanyard item in the keyring: ${JSON.stringify(items)}`);
  assert.is(await keyring.secret(items[0]!.attributes), KEYCHAIN_APIKEY, 'the keychain holds the API key');
  const answers = [];
  for (let i = 0; i < 5; i++) answers.push(parseCreds(await getWith(env, registry!.host), `keychain get ${i}`));
  assert.equal(
    [...new Set(answers.map((a) => `${a.Username}:${a.Secret}`))].length,
    1,
    'all gets answer the same token',
  );
  assert.is(answers[0]!.Username, 'iambearer');
  const check = iam!.validateToken(answers[0]!.Secret);
  assert.ok(check.ok && check.apikeyId === iam!.apikeyId(KEYCHAIN_APIKEY), 'a valid token of the keychain key');
  const kcAuth = writeAuthFile(join(kcBox.root, 'auth.json'), [registry!.host]);
  const push = await skopeo(
    ['copy', '--authfile', kcAuth, '--dest-tls-verify=false', image.ref, `docker://${registry!.host}/team/keychain:1`],
    { ...clientEnv, ...env },
  );
  skopeoOk(push, 'push with the keychain login');
  assert.is(iam!.counts.byApikey[KEYCHAIN_APIKEY], 1, 'one exchange for the keychain key');
  const cached = cacheRecord(kcBox, registry!.host);
  assert.is(cached?.token?.secret, answers[0]!.Secret, 'the keychain entry has its own cache record with the token');
  assert.not.ok(JSON.stringify(cached).includes(KEYCHAIN_APIKEY), 'the cache holds no key');
});

test('secrets never on disk outside the store: log, mapping and cache hold no API key', async () => {
  assertNoSecretOnDisk(sb, { 'API key': APIKEY });
  assertNoSecretOnDisk(kcBox, { 'keychain API key': KEYCHAIN_APIKEY });
  assert.ok(readFileSync(sb.secretsFile, 'utf8').includes(APIKEY), 'the file store itself does hold the key');
});

test.run();
