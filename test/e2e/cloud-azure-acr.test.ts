// Azure Container Registry end to end: the compiled binary holds a service principal's client secret
// (`login -u <client id> --tenant … --kind azure-acr --acr-endpoint <stand-in>`), exchanges it at the Entra +
// ACR stand-in (AZURE_AUTHORITY_HOST) for an ACR refresh token, and real clients use that against a real
// docker-registry whose token server accepts only the stand-in's refresh tokens: docker's identity token
// (`<token>`, the OAuth2 refresh grant) or the null GUID as username with the token as password. Skopeo, podman
// and the real Docker Engine push and pull, on both stores; the kubelet and `export` get the password form;
// bursts, throttling, 5xx, a revoked secret and the daemon's refresh behave as for IBM Cloud IAM.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as azureFixture from '../fixtures/azure.js';
import type * as registryFixture from '../fixtures/token-registry.js';
import { assertNoLeak, assertOneLineError } from './support/asserts.js';
import { writeAuthFile, writeDockerConfig } from './support/client-config.js';
import { clientOk, containersClients, pulledImageId, toolTests } from './support/clients-containers.js';
import * as cloud from './support/cloud.js';
import { setUp, stopAll } from './support/lifecycle.js';
import { dockerClientEnv, startDockerEngine, type DockerEngine } from './support/docker-engine.js';
import {
  assertNoSecretOnDisk,
  cacheRecord,
  fileStoreSandbox,
  forgetCachedToken,
  getWith,
  loginOk,
  parseCreds,
  startDaemon,
  waitFor,
  type Daemon,
} from './support/exchange-env.js';
import { startRecordingProxy, type RecordingProxy } from './support/exchange-proxy.js';
import { NOT_FOUND, runHelper } from './support/helper.js';
import { buildImage, ociDigest, type OciImage } from './support/image.js';
import { describe, run, type RunResult } from './support/run.js';
import type { Sandbox } from './support/sandbox.js';
import { STORE_MODES, storeModeSandboxes, type StoreMode, type StoreModeSandboxes } from './support/store-modes.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const principal = (name: string) => ({
  tenant: TENANT,
  clientId: `${randomBytes(4).toString('hex')}-0000-4000-8000-${name.padEnd(12, '0').slice(0, 12)}`,
  clientSecret: `${name}~${randomBytes(18).toString('base64url')}`,
});
const SP = principal('a11ce');
const DOOMED = principal('d00med');
const SECRETS = { 'client secret': SP.clientSecret, 'doomed client secret': DOOMED.clientSecret };
const { toolTest } = await toolTests('cloud-azure-acr');

let stores: StoreModeSandboxes | undefined;
let az: azureFixture.AzureHandle | undefined;
let registry: registryFixture.TokenRegistryHandle | undefined;
let engine: DockerEngine | undefined;
let extra: Sandbox[] = [];
let image: OciImage;
/** Every login the token server asked the stand-in about. */
const presented: cloud.Login[] = [];

const acrLogin = (sp = SP) => ['--kind', 'azure-acr', '--tenant', sp.tenant, '--acr-endpoint', az!.url];
const envOf = (mode: StoreMode) => stores!.boxes[mode].env;
const sandbox = (label: string) => {
  const sb = fileStoreSandbox(label);
  sb.env.AZURE_AUTHORITY_HOST = az!.authorityUrl;
  extra.push(sb);
  return sb;
};

test.before(() =>
  setUp('cloud-azure-acr', async () => {
    az = await azureFixture.start({ clients: [SP, DOOMED] });
    registry = await cloud.startCloudRegistry(az.registryLogin, presented);
    stores = await storeModeSandboxes('cloud-acr');
    for (const mode of STORE_MODES) envOf(mode).AZURE_AUTHORITY_HOST = az.authorityUrl;
    image = await buildImage(stores.boxes.file);
    engine = await startDockerEngine('acr');
  }),
);

test.after(async () => {
  await stopAll('cloud-azure-acr', [
    ['engine', () => engine?.stop()],
    ['registry', () => registry?.stop()],
    ['azure', () => az?.stop()],
    ['stores', () => stores?.cleanup()],
  ]);
  for (const sb of extra) sb.cleanup();
  extra = [];
});

function assertRefreshToken(token: string, what: string): void {
  const check = az!.validateRefreshToken(token);
  assert.ok(check.ok && check.subject === SP.clientId, `${what}: a live ACR refresh token of the principal`);
}

const skopeo = (env: NodeJS.ProcessEnv, args: string[]): Promise<RunResult> =>
  run('skopeo', ['--insecure-policy', ...args], { env, timeoutMs: 60_000 });

test('login checks the secret first: a wrong one is refused with AADSTS7000215 and nothing is stored', async () => {
  const env = envOf('file');
  const wrong = await runHelper(['login', registry!.host, '-u', SP.clientId, ...acrLogin(), '--password-stdin'], {
    env,
    stdin: 'not-the-client-secret',
  });
  assert.is(wrong.code, 1, describe(wrong));
  assert.match(wrong.stderr, /the login for 127\.0\.0\.1:\d+ was not stored: Microsoft Entra ID at .* refused/);
  assert.match(wrong.stderr, /AADSTS7000215: the client secret is wrong or was deleted/);
  assert.is(wrong.stderr.trim().split('\n').length, 1, `one line\n${describe(wrong)}`);
  assert.equal(await cloud.lsEntries(env), [], 'nothing stored');

  const before = az!.counts.refreshTokens;
  for (const mode of STORE_MODES) await loginOk(envOf(mode), registry!.host, SP.clientId, SP.clientSecret, acrLogin());
  assert.is(az!.counts.refreshTokens - before, 2, 'one verifying exchange per login');
  assert.equal(
    (await cloud.lsEntries(env)).map((e) => [e.server, e.kind, e.username, e.store]),
    [[registry!.host, 'azure-acr', SP.clientId, 'file']],
  );
  const items = await stores!.keyring.items();
  assert.is(await stores!.keyring.secret(items[0]!.attributes), SP.clientSecret, 'the keychain holds the secret');
});

test('*.azurecr.io with --tenant is azure-acr by itself; a store of an admin user there stays static', async () => {
  const sb = sandbox('cloud-acr-infer');
  const contoso = 'contoso.azurecr.io';
  await loginOk(sb.env, contoso, SP.clientId, SP.clientSecret, ['--tenant', TENANT, '--acr-endpoint', az!.url]);
  const admin = JSON.stringify({ ServerURL: 'admin.azurecr.io', Username: 'admin', Secret: 'admin-password' });
  assert.is((await runHelper(['store'], { env: sb.env, stdin: admin })).code, 0);
  const check = az!.validateRefreshToken(parseCreds(await getWith(sb.env, contoso), 'get contoso').Secret);
  assert.ok(check.ok && check.service === contoso, `a refresh token for ${contoso}: ${JSON.stringify(check)}`);
  const ls = await runHelper(['ls'], { env: sb.env });
  assert.match(ls.stdout, /^contoso\.azurecr\.io +azure-acr +\S+ +file +valid, expires in [23]\.\dh$/m, ls.stdout);
  assert.match(ls.stdout, /^admin\.azurecr\.io +static +admin /m, ls.stdout);
  const refused = await runHelper(['login', 'ghcr.io', '-u', 'x', '--tenant', TENANT, '--password-stdin'], {
    env: sb.env,
    stdin: 's',
  });
  assert.is(refused.code, 1);
  assert.match(refused.stderr, /--tenant is for azure-acr logins: add --kind azure-acr/);
});

for (const mode of STORE_MODES) {
  test(`[${mode}] get answers <token> + an ACR refresh token; skopeo pushes, inspects and pulls with it`, async () => {
    const env = envOf(mode);
    const host = registry!.host;
    const exchanges = az!.counts.refreshTokens;
    const creds = parseCreds(await getWith(env, host), 'get');
    assert.is(creds.Username, '<token>');
    assertRefreshToken(creds.Secret, 'get');
    const cached = cacheRecord(stores!.boxes[mode], host)!.token!;
    assert.is(cached.secret, creds.Secret, 'the cached token');
    const lifetimeS = (cached.expiresAt! - cached.issuedAt) / 1000;
    assert.ok(Math.abs(lifetimeS - 10_800) < 10, `cached until the token's exp (3 h), got ${lifetimeS} s`);

    const authFile = writeAuthFile(join(stores!.boxes[mode].root, 'auth.json'), [host]);
    const requestsBefore = registry!.requests.length;
    const repo = `docker://${host}/${mode}/skopeo`;
    clientOk(await skopeo(env, ['copy', '--authfile', authFile, '--dest-tls-verify=false', image.ref, repo]), 'push');
    const inspect = await skopeo(env, ['inspect', '--authfile', authFile, '--tls-verify=false', repo]);
    clientOk(inspect, 'inspect');
    assert.is((JSON.parse(inspect.stdout) as { Digest: string }).Digest, image.digest);
    const back = stores!.boxes[mode].dir('pulled');
    const pull = ['copy', '--authfile', authFile, '--src-tls-verify=false', repo, `oci:${back}:back`];
    clientOk(await skopeo(env, pull), 'pull');
    assert.is(ociDigest(back, 'back'), image.digest, 'the pushed image came back');

    assert.is(
      az!.counts.refreshTokens - exchanges,
      0,
      "no exchange: the token login's check got served the get and three skopeo operations",
    );
    const logins = registry!.requests.slice(requestsBefore).filter((r) => r.username !== null);
    assert.ok(logins.length >= 3, `skopeo presented credentials (${logins.length})`);
    assert.equal([...new Set(logins.map((r) => r.username))], ['<token>'], 'as an identity token');
    assert.ok(
      logins.every((r) => r.granted),
      'every one granted',
    );
  });
}

toolTest('podman', '[file] podman pulls with the identity token lanyard exchanged', async () => {
  const sb = stores!.boxes.file;
  const dockerConfig = sb.dir('podman-docker-config');
  writeDockerConfig(dockerConfig, [registry!.host]);
  const tools = containersClients(sb, { ...sb.env, DOCKER_CONFIG: dockerConfig });
  try {
    const pulled = await tools.podman(tools.storage('acr-pull'), [
      'pull',
      '--tls-verify=false',
      '--signature-policy',
      tools.policy,
      `${registry!.host}/file/skopeo`,
    ]);
    clientOk(pulled, 'podman pull');
    assert.match(pulledImageId(pulled), /^[0-9a-f]{64}$/);
  } finally {
    tools.cleanup();
  }
});

for (const mode of STORE_MODES) {
  test(`[${mode}] the Docker Engine pushes and pulls with the identity token (OAuth2 refresh grant)`, async () => {
    const { env } = dockerClientEnv(stores!.boxes[mode], engine!, [registry!.host]);
    const ref = `${registry!.host}/${mode}/engine:1`;
    const requestsBefore = registry!.requests.length;
    await cloud.assertEngineRoundTrip(env, stores!.boxes[mode].dir(`engine-${mode}`), ref);
    const logins = registry!.requests.slice(requestsBefore).filter((r) => r.username !== null);
    assert.ok(logins.length >= 2, `the engine presented credentials (${logins.length})`);
    assert.ok(
      logins.every((r) => r.username === '<token>' && r.granted),
      JSON.stringify(logins),
    );
  });
}

test('kubelet and export get the null GUID + the refresh token, which skopeo can use as a password', async () => {
  const env = envOf('file');
  const auth = (await cloud.kubeletLogin(env, `${registry!.host}/file/skopeo:latest`, registry!.host)).login!;
  assert.is(auth.username, azureFixture.ACR_REFRESH_USERNAME);
  assertRefreshToken(auth.password, 'kubelet');

  const entry = (await cloud.exportedLogin(env, registry!.host, ['--format', 'dockerconfigjson'])).login!;
  assert.equal([entry.username, entry.password], [auth.username, auth.password], 'the same login');

  const before = registry!.requests.length;
  const creds = `${auth.username}:${auth.password}`;
  const inspect = await skopeo(env, [
    'inspect',
    '--creds',
    creds,
    '--tls-verify=false',
    `docker://${registry!.host}/file/skopeo`,
  ]);
  clientOk(inspect, 'skopeo inspect with the exported password');
  const used = registry!.requests.slice(before).filter((r) => r.username !== null);
  assert.ok(
    used.length > 0 && used.every((r) => r.username === azureFixture.ACR_REFRESH_USERNAME && r.granted),
    JSON.stringify(used),
  );
});

test('ls and doctor show the entry: kind, token expiry, a timed exchange', async () => {
  const env = envOf('file');
  const ls = await runHelper(['ls'], { env });
  assert.match(ls.stdout, /^127\.0\.0\.1:\d+ +azure-acr +\S+ +file +valid, expires in [23]\.\dh$/m, ls.stdout);
  const doctor = await runHelper(['doctor'], { env, timeoutMs: 30_000 });
  const exchanged = `exchange succeeded (<token> for ${SP.clientId} in tenant ${TENANT}, valid 180 min)`;
  assert.match(doctor.stdout, `: ${exchanged} (`, `doctor names the principal\n${doctor.stdout}`);
  assertNoLeak(doctor, SP.clientSecret, 'doctor');
});

test('100 concurrent cold gets cause 1 Entra sign-in and 1 exchange', async () => {
  const sb = sandbox('cloud-acr-burst');
  const server = 'burst.acr.test';
  await loginOk(sb.env, server, SP.clientId, SP.clientSecret, acrLogin());
  forgetCachedToken(sb, server); // cold: the token login's check got is gone, as after a reboot
  const before = { entra: az!.counts.entraTokens, exchange: az!.counts.refreshTokens };
  az!.faults.latencyMs = 300;
  const started = Date.now();
  try {
    const rs = await Promise.all(Array.from({ length: 100 }, () => getWith(sb.env, server, 90_000)));
    const answers = new Set(rs.map((r, i) => parseCreds(r, `burst get ${i}`).Secret));
    assert.is(answers.size, 1, 'one token for all');
  } finally {
    az!.faults.latencyMs = 0;
  }
  console.log(`[cloud-azure-acr] 100 concurrent cold gets took ${Date.now() - started} ms`);
  assert.equal(
    [az!.counts.entraTokens - before.entra, az!.counts.refreshTokens - before.exchange],
    [1, 1],
    'one sign-in, one exchange',
  );
});

test('throttling (Retry-After) and 5xx are retried with backoff inside one get', async () => {
  const sb = sandbox('cloud-acr-retry');
  await loginOk(sb.env, 'throttle.acr.test', SP.clientId, SP.clientSecret, acrLogin());
  await loginOk(sb.env, 'fivexx.acr.test', SP.clientId, SP.clientSecret, acrLogin());
  // The gets must exchange: the tokens login's checks got are gone, as after a reboot.
  for (const server of ['throttle.acr.test', 'fivexx.acr.test']) forgetCachedToken(sb, server);
  const total = az!.counts.total;
  az!.faults.throttle(1, 1);
  const started = Date.now();
  assertRefreshToken(parseCreds(await getWith(sb.env, 'throttle.acr.test'), 'after a 429').Secret, 'throttled');
  assert.ok(Date.now() - started >= 1000, 'waited for Retry-After: 1');
  assert.is(az!.counts.total - total, 3, 'a 429, then the sign-in and the exchange');
  az!.faults.fail(2, 503);
  assertRefreshToken(parseCreds(await getWith(sb.env, 'fivexx.acr.test'), 'after two 503s').Secret, 'fivexx');
  assert.is(az!.counts.total - total, 7, 'two 503s, then the sign-in and the exchange');
});

test('a revoked secret: 20 concurrent gets, 1 request to Entra, one line naming AADSTS7000215', async () => {
  const sb = sandbox('cloud-acr-revoked');
  const server = 'revoked.acr.test';
  await loginOk(sb.env, server, DOOMED.clientId, DOOMED.clientSecret, acrLogin(DOOMED));
  forgetCachedToken(sb, server); // nothing cached: the check's token gone, as after a reboot
  az!.revokeSecret(DOOMED.clientId);
  const refusals = az!.counts.errors.AADSTS7000215 ?? 0;
  const rs = await Promise.all(Array.from({ length: 20 }, () => getWith(sb.env, server, 60_000)));
  for (const [i, r] of rs.entries()) {
    assertOneLineError(r, `get ${i}`);
    assert.is.not(r.stdout.trim(), NOT_FOUND);
    assert.match(r.stdout, /cannot get a token for revoked\.acr\.test: Microsoft Entra ID .*\(AADSTS7000215: /);
    assert.match(
      r.stdout,
      /the client secret is wrong or was deleted .*; then log in again: docker-credential-lanyard/,
    );
    assertNoLeak(r, DOOMED.clientSecret, `get ${i}`);
  }
  assert.is((az!.counts.errors.AADSTS7000215 ?? 0) - refusals, 1, 'one sign-in attempt for 20 gets');
});

test('the daemon refreshes the refresh token before it expires; gets never exchange inline', async () => {
  const sb = sandbox('cloud-acr-daemon');
  let proxy: RecordingProxy | undefined;
  let daemon: Daemon | undefined;
  az!.setRefreshTokenLifetime(20);
  try {
    proxy = await startRecordingProxy(az!.url);
    sb.env.AZURE_AUTHORITY_HOST = proxy.url;
    const server = 'daemon.acr.test';
    const login = ['--kind', 'azure-acr', '--tenant', TENANT, '--acr-endpoint', proxy.url];
    await loginOk(sb.env, server, SP.clientId, SP.clientSecret, login);
    forgetCachedToken(sb, server); // as after a reboot: the daemon signs in at start
    const atLogin = proxy.requests.length;
    daemon = await startDaemon(sb);
    const first = await waitFor('the daemon to cache a token', () => cacheRecord(sb, server)?.token);
    const refreshed = await waitFor(
      'a refreshed token',
      () => {
        const token = cacheRecord(sb, server)?.token;
        return token && token.secret !== first.secret ? token : undefined;
      },
      30_000,
      200,
    );
    assert.ok(refreshed.issuedAt < first.expiresAt!, 'refreshed before the old token expired');
    assert.is(parseCreds(await getWith(sb.env, server), 'get').Secret, refreshed.secret);
    const roles = proxy.requests.slice(atLogin).map((r) => r.role);
    assert.ok(roles.length >= 4, `two sign-ins and two exchanges (${roles})`);
    assert.equal([...new Set(roles)], ['daemon'], 'only the daemon asked Azure');
  } finally {
    az!.setRefreshTokenLifetime(10_800);
    await daemon?.stop();
    await proxy?.stop();
  }
});

test('the client secret is never written outside the store', () => {
  for (const sb of [...Object.values(stores!.boxes), ...extra]) assertNoSecretOnDisk(sb, SECRETS);
  assert.not.ok(
    presented.some((p) => Object.values(SECRETS).includes(p.password)),
    'a secret reached the registry',
  );
});

test.run();
