// The aws-ecr kind end to end: the compiled binary holds an AWS access key (keychain and file store), verifies
// it at login, and hands clients only ECR authorization tokens (`AWS` + password) exchanged with the
// SigV4-verifying AWS stand-in (test/fixtures/aws.ts, reached through AWS_ENDPOINT_URL_*). A real docker-registry
// with token auth accepts those tokens through the stand-in's registryLogin; skopeo, podman and the real Docker
// Engine push and pull through it. Then the IAM matrix: concurrency, throttling and 5xx, a revoked key, the
// daemon's refresh, kubelet mode, export, ls and doctor.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as awsFixture from '../fixtures/aws.js';
import type * as registryFixture from '../fixtures/token-registry.js';
import { assertNotFound, assertOneLineError } from './support/asserts.js';
import { writeAuthFile } from './support/client-config.js';
import { clientOk, containersClients, pushAndPullBack, toolTests } from './support/clients-containers.js';
import * as cloud from './support/cloud.js';
import { setUp, stopAll } from './support/lifecycle.js';
import { dockerClientEnv, startDockerEngine, type DockerEngine } from './support/docker-engine.js';
import {
  assertNoSecretOnDisk,
  cacheRecord,
  daemonCommand,
  expireCachedToken,
  forgetCachedToken,
  getWith,
  loginOk,
  logText,
  parseCreds,
  startDaemon,
  waitFor,
} from './support/exchange-env.js';
import { runHelper, store } from './support/helper.js';
import { buildImage, ociDigest, type OciImage } from './support/image.js';
import { describe, run, type RunResult } from './support/run.js';
import { STORE_MODES, storeModeSandboxes, type StoreMode, type StoreModeSandboxes } from './support/store-modes.js';

const { toolTest } = await toolTests('cloud-aws-ecr');

const keyId = () => `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
const KEY = { accessKeyId: keyId(), secretAccessKey: `ecr-e2e-secret/${randomBytes(16).toString('base64')}` };
const DOOMED = { accessKeyId: keyId(), secretAccessKey: `ecr-e2e-doomed-${randomBytes(16).toString('hex')}` };
const ROLE = 'arn:aws:iam::210987654321:role/ecr-pull';
const REGION = 'us-west-2';
const ECR_HOST = '123456789012.dkr.ecr.us-west-2.amazonaws.com';

let sandboxes: StoreModeSandboxes | undefined;
let aws: awsFixture.AwsHandle | undefined;
let registry: registryFixture.TokenRegistryHandle | undefined;
let engine: DockerEngine | undefined;
let image: OciImage;
let policy: string;
const envs = {} as Record<StoreMode, NodeJS.ProcessEnv>;
/** The docker CLI's environment per store (DOCKER_HOST, DOCKER_CONFIG with credHelpers for the registry). */
const dockerEnvs = {} as Record<StoreMode, NodeJS.ProcessEnv>;
/** Every login (ECR password) the token server was asked to accept. */
const presented: cloud.Login[] = [];

test.before(() =>
  setUp('cloud-aws-ecr', async () => {
    sandboxes = await storeModeSandboxes('cloud-aws-ecr');
    aws = await awsFixture.start({ keys: [KEY, DOOMED], roles: [ROLE] });
    registry = await cloud.startCloudRegistry(aws.registryLogin, presented);
    engine = await startDockerEngine('cloud-aws-ecr');
    const box = sandboxes.boxes.file;
    image = await buildImage(box);
    policy = cloud.writeAcceptAnythingPolicy(box.root);
    const registriesConf = join(box.root, 'registries.conf');
    writeFileSync(registriesConf, 'unqualified-search-registries = []\n');
    for (const mode of STORE_MODES) {
      const sb = sandboxes.boxes[mode];
      Object.assign(sb.env, aws.endpointEnv(), { CONTAINERS_REGISTRIES_CONF: registriesConf });
      sb.env.REGISTRY_AUTH_FILE = writeAuthFile(join(sb.root, 'auth.json'), [registry.host]);
      envs[mode] = sb.env;
      dockerEnvs[mode] = dockerClientEnv(sb, engine, [registry.host]).env;
    }
  }),
);

test.after(() =>
  stopAll('cloud-aws-ecr', [
    ['engine', () => engine?.stop()],
    ['registry', () => registry?.stop()],
    ['aws', () => aws?.stop()],
    ['sandboxes', () => sandboxes?.cleanup()],
  ]),
);

const ecrRequests = () => aws!.counts.byOperation['ecr:GetAuthorizationToken'] ?? 0;
const ecrLogin = (
  env: NodeJS.ProcessEnv,
  server: string,
  key = KEY,
  extra = ['--kind', 'aws-ecr', '--region', REGION],
) =>
  runHelper(['login', server, '-u', key.accessKeyId, ...extra, '--password-stdin'], {
    env,
    stdin: key.secretAccessKey,
    timeoutMs: 30_000,
  });
const skopeo = (env: NodeJS.ProcessEnv, args: string[]): Promise<RunResult> =>
  run('skopeo', ['--policy', policy, ...args], { env, timeoutMs: 60_000 });

/** `get` answered AWS + a live ECR password (of `key`, unless a role session asked); returns the password. */
function assertEcrCreds(r: RunResult, what: string, key: typeof KEY | null = KEY): string {
  const creds = parseCreds(r, what);
  assert.is(creds.Username, 'AWS', `${what}: username`);
  const check = aws!.validateEcrPassword(creds.Secret);
  assert.ok(check.ok && (key === null || check.accessKeyId === key.accessKeyId), `${what}: ${JSON.stringify(check)}`);
  return creds.Secret;
}

for (const mode of STORE_MODES) {
  test(`[${mode}] login verifies once: a wrong secret is refused naming AWS's code, nothing stored`, async () => {
    const env = envs[mode];
    const host = registry!.host;
    const before = aws!.counts.total;
    const wrong = await ecrLogin(env, host, { ...KEY, secretAccessKey: 'not-the-secret' });
    assert.is(wrong.code, 1, describe(wrong));
    assert.match(wrong.stderr, /not stored: Amazon ECR at .*InvalidSignatureException.*secret access key/);
    assert.ok(wrong.stderr.trim().split('\n').length === 1, `one line\n${describe(wrong)}`);
    assertNotFound(await getWith(env, host), 'nothing stored after a refused login');
    assert.is(aws!.counts.total - before, 1, 'one request, not retried: the refusal is permanent');

    const started = Date.now();
    const ok = await ecrLogin(env, host);
    assert.is(ok.code, 0, describe(ok));
    console.log(`[cloud-aws-ecr] ${mode}: login with its verifying exchange took ${Date.now() - started} ms`);
    assert.not.ok(ok.stderr.includes(KEY.secretAccessKey), 'the secret is not echoed');
    const entries = await cloud.lsEntries(env);
    assert.equal(
      entries.map((e) => [e.server, e.kind, e.username, e.store]),
      [[host, 'aws-ecr', KEY.accessKeyId, mode]],
    );
    if (mode === 'keychain') {
      const items = await sandboxes!.keyring.items();
      assert.is(await sandboxes!.keyring.secret(items[0]!.attributes), KEY.secretAccessKey, 'in the keychain');
    }
  });

  test(`[${mode}] get answers AWS + an ECR token; skopeo pushes and pulls with it; 1 exchange`, async () => {
    const env = envs[mode];
    const host = registry!.host;
    const cold = Date.now();
    const first = await getWith(env, host);
    const coldMs = Date.now() - cold;
    const password = assertEcrCreds(first, 'cold get');
    const warm = Date.now();
    assert.is(assertEcrCreds(await getWith(env, host), 'cached get'), password, 'cached');
    console.log(`[cloud-aws-ecr] ${mode}: first get (exchange) ${coldMs} ms, cached get ${Date.now() - warm} ms`);
    const before = ecrRequests();
    const repo = `docker://${host}/ecr-${mode}/app`;
    clientOk(await skopeo(env, ['copy', '--dest-tls-verify=false', image.ref, `${repo}:1`]), 'skopeo push');
    const back = sandboxes!.boxes[mode].dir('pulled');
    clientOk(await skopeo(env, ['copy', '--src-tls-verify=false', `${repo}:1`, `oci:${back}:back`]), 'skopeo pull');
    assert.is(ociDigest(back, 'back'), image.digest, 'the pulled image is the pushed one');
    assert.is(ecrRequests(), before, 'the cached token served both');
    assert.ok(
      presented.some((p) => p.password === password),
      'the registry got that ECR token',
    );
    assert.not.ok(
      presented.some((p) => p.password.includes(KEY.secretAccessKey)),
      'the secret key never reached the registry',
    );
  });

  test(`[${mode}] the real Docker Engine pushes and pulls with the ECR token`, async () => {
    const env = dockerEnvs[mode];
    const ref = `${registry!.host}/engine-${mode}/tiny:1`;
    await cloud.assertEngineRoundTrip(env, sandboxes!.boxes[mode].dir(`image-${mode}`), ref);
    const config = readFileSync(join(env.DOCKER_CONFIG!, 'config.json'), 'utf8');
    assert.not.ok(config.includes(KEY.secretAccessKey), 'no secret in config.json');
  });
}

toolTest('podman', 'pushes and pulls through lanyard with the ECR token', async () => {
  const tools = containersClients(sandboxes!.boxes.file, envs.file);
  try {
    const { pushedId, pulledId } = await pushAndPullBack(tools, 'podman', image, registry!.host, 'podman/ecr');
    assert.is(pulledId, pushedId);
  } finally {
    tools.cleanup();
  }
});

test('inference: an access key id on an ECR host is aws-ecr; a pasted token (AWS) stays static', async () => {
  const env = envs.file;
  await loginOk(env, ECR_HOST, KEY.accessKeyId, KEY.secretAccessKey);
  const pasted = { ServerURL: '210987654321.dkr.ecr.eu-west-1.amazonaws.com', Username: 'AWS', Secret: 'pasted' };
  assert.is((await store(env, pasted)).code, 0);
  const kinds = Object.fromEntries((await cloud.lsEntries(env)).map((e) => [e.server, e.kind]));
  assert.is(kinds[ECR_HOST], 'aws-ecr');
  assert.is(kinds[pasted.ServerURL], 'static');
  assertEcrCreds(await getWith(env, ECR_HOST), 'get on the ECR host');
  // A pattern across regions takes each registry's region from its host: --region makes no sense there.
  const withRegion = await ecrLogin(env, '*.dkr.ecr.*.amazonaws.com', KEY, ['--region', REGION]);
  assert.is(withRegion.code, 1);
  assert.match(
    withRegion.stderr,
    /^docker-credential-lanyard: .*not stored: .*takes each registry's region from its host: .*without --region\n$/,
  );
  // Without it, the key is checked once and then serves every region, a token per registry in its region.
  const before = ecrRequests();
  assert.is((await ecrLogin(env, '*.dkr.ecr.*.amazonaws.com', KEY, [])).code, 0);
  const other = '210987654321.dkr.ecr.us-east-1.amazonaws.com';
  const password = assertEcrCreds(await getWith(env, other), 'a registry the pattern serves');
  const check = aws!.validateEcrPassword(password);
  assert.ok(check.ok && check.region === 'us-east-1', JSON.stringify(check));
  assert.is(ecrRequests() - before, 2, 'the login check, then the registry token');
  assert.is((await runHelper(['logout', '*.dkr.ecr.*.amazonaws.com'], { env })).code, 0);
});

test('--aws-profile imports key and role from the AWS CLI files; the role session bounds the token', async () => {
  const sb = sandboxes!.boxes.file;
  const credentials = join(sb.root, 'aws-credentials');
  const config = join(sb.root, 'aws-config');
  writeFileSync(
    credentials,
    `[base]\naws_access_key_id = ${KEY.accessKeyId}\naws_secret_access_key = ${KEY.secretAccessKey}\n`,
  );
  writeFileSync(config, `[profile puller]\nrole_arn = ${ROLE}\nsource_profile = base\n`);
  const env = { ...envs.file, AWS_SHARED_CREDENTIALS_FILE: credentials, AWS_CONFIG_FILE: config };
  const server = '*.dkr.ecr.us-east-1.amazonaws.com';
  const sessions = aws!.counts.sessions;
  const r = await runHelper(['login', server, '--aws-profile', 'puller'], { env, timeoutMs: 30_000 });
  assert.is(r.code, 0, describe(r));
  const entry = (await cloud.lsEntries(env)).find((e) => e.server === server);
  assert.equal([entry?.kind, entry?.username], ['aws-ecr', KEY.accessKeyId]);
  const password = assertEcrCreds(
    await getWith(env, '111122223333.dkr.ecr.us-east-1.amazonaws.com'),
    'get via role',
    null,
  );
  assert.is(aws!.counts.sessions - sessions, 1, "one AssumeRole, by login's check: the get answered its token");
  const check = aws!.validateEcrPassword(password);
  assert.ok(check.ok && check.account === '210987654321', 'a token of the role session');
  const token = cacheRecord(sb, server)!.token!;
  assert.ok(token.expiresAt! - token.issuedAt <= 3600_000 + 1000, 'the 1 h session bounds the 12 h token');
  const missing = await runHelper(['login', server, '--aws-profile', 'nope'], { env });
  assertOneLineStderr(missing, /no AWS profile "nope" in /);
});

function assertOneLineStderr(r: RunResult, pattern: RegExp): void {
  assert.is(r.code, 1, describe(r));
  assert.match(r.stderr, pattern);
  assert.is(r.stderr.trim().split('\n').length, 1, describe(r));
}

test('100 concurrent cold gets, then 100 on an expired token: exactly 1 exchange each', async () => {
  const env = envs.file;
  const server = 'burst.ecr.test';
  assert.is((await ecrLogin(env, server)).code, 0);
  forgetCachedToken(sandboxes!.boxes.file, server); // cold: the token login's check got is gone, as after a reboot
  const exchangesLogged = () => logText(sandboxes!.boxes.file).split(`exchanged a token for ${server},`).length - 1;
  aws!.faults.latencyMs = 300; // a slow AWS widens the window in which the processes overlap
  try {
    for (const phase of ['cold', 'expired'] as const) {
      if (phase === 'expired') expireCachedToken(sandboxes!.boxes.file, server);
      const before = ecrRequests();
      const logged = exchangesLogged();
      const started = Date.now();
      const rs = await Promise.all(Array.from({ length: 100 }, () => getWith(env, server, 90_000)));
      const answers = new Set(rs.map((r, i) => assertEcrCreds(r, `${phase} get ${i}`)));
      const requests = ecrRequests() - before;
      console.log(`[cloud-aws-ecr] 100 ${phase} gets: ${Date.now() - started} ms, ${requests} ECR request(s)`);
      assert.is(answers.size, 1, `${phase}: one token for all`);
      assert.is(exchangesLogged() - logged, 1, `${phase}: exactly one exchange`);
      // Under a loaded machine the one exchange may time out its first request (4 s) and retry it.
      assert.ok(requests >= 1 && requests <= 2, `${phase}: ${requests} ECR requests`);
    }
  } finally {
    aws!.faults.latencyMs = 0;
  }
});

test('ThrottlingException (HTTP 400) and a 503 are retried with backoff: the get succeeds', async () => {
  const env = envs.file;
  for (const [what, inject] of [
    ['throttling', () => aws!.faults.throttle(1)],
    ['503', () => aws!.faults.fail(1, 503)],
  ] as const) {
    const server = `retry-${what}.ecr.test`;
    assert.is((await ecrLogin(env, server)).code, 0);
    forgetCachedToken(sandboxes!.boxes.file, server); // the check's token gone (as after a reboot): the get exchanges
    inject();
    const before = aws!.counts.total;
    assertEcrCreds(await getWith(env, server, 30_000), `get after ${what}`);
    assert.is(aws!.counts.total - before, 2, `${what}: one refused request and one retry`);
  }
});

test('a revoked key: 20 concurrent gets send 1 request, UnrecognizedClientException in one line', async () => {
  const env = envs.file;
  const server = 'revoked.ecr.test';
  assert.is((await ecrLogin(env, server, DOOMED)).code, 0);
  aws!.revokeKey(DOOMED.accessKeyId);
  forgetCachedToken(sandboxes!.boxes.file, server); // nothing cached: the check's token gone, as after a reboot
  const before = aws!.counts.byAccessKey[DOOMED.accessKeyId] ?? 0;
  const rs = await Promise.all(Array.from({ length: 20 }, () => getWith(env, server, 60_000)));
  for (const [i, r] of rs.entries()) {
    assertOneLineError(r, `get ${i}`);
    assert.match(r.stdout, /UnrecognizedClientException.*wrong, deleted or deactivated/);
    assert.not.match(r.stdout, /credentials not found/);
  }
  assert.is((aws!.counts.byAccessKey[DOOMED.accessKeyId] ?? 0) - before, 1, 'one request for 20 gets');
  const ls = await runHelper(['ls'], { env });
  assert.match(ls.stdout, /^revoked\.ecr\.test +aws-ecr .*UnrecognizedClientException/m, ls.stdout);
});

test('kubelet mode and export give AWS + the token; ls and doctor show the entry', async () => {
  const env = envs.file;
  const host = registry!.host;
  const kubelet = (await cloud.kubeletLogin(env, `${host}/team/app:1`, host)).login;
  assert.is(kubelet?.username, 'AWS');
  assert.ok(aws!.validateEcrPassword(kubelet!.password).ok, 'kubelet gets a live token');
  const exported = await cloud.exportedLogin(env, host);
  assert.is(exported.login?.username, 'AWS');
  assert.ok(aws!.validateEcrPassword(exported.login!.password).ok, 'export gives a live token');
  assert.not.ok(exported.run.stdout.includes(KEY.secretAccessKey));
  const ls = await runHelper(['ls'], { env });
  assert.match(ls.stdout, new RegExp(`^${host.replace(/\./g, '\\.')} +aws-ecr +${KEY.accessKeyId}`, 'm'), ls.stdout);
  const doctor = await runHelper(['doctor'], { env, timeoutMs: 30_000 });
  assert.match(doctor.stdout, new RegExp(`${host.replace(/\./g, '\\.')}: exchange succeeded \\(AWS, valid 720 min\\)`));
});

test('the daemon refreshes the ECR token before it expires: gets never exchange inline', async () => {
  const sb = sandboxes!.boxes.file;
  const env = envs.file;
  const server = 'daemon.ecr.test';
  aws!.setEcrTokenLifetime(20);
  assert.is((await ecrLogin(env, server)).code, 0);
  const daemon = await startDaemon(sb, env);
  try {
    const first = await waitFor('the daemon exchanges', () => cacheRecord(sb, server)?.token?.secret, 15_000);
    const refreshed = await waitFor(
      'a refresh before expiry',
      () => {
        const secret = cacheRecord(sb, server)?.token?.secret;
        return secret && secret !== first ? secret : undefined;
      },
      25_000,
      200,
    );
    assert.ok(aws!.validateEcrPassword(first).ok, 'the first token was still alive when replaced');
    const before = ecrRequests();
    assert.is(assertEcrCreds(await getWith(env, server), 'get with the daemon'), refreshed);
    assert.is(ecrRequests(), before, 'the get did not exchange');
    const status = await daemonCommand(env, ['status']);
    assert.match(status.stdout, /daemon\.ecr\.test/, describe(status));
  } finally {
    await daemon.stop();
    aws!.setEcrTokenLifetime(43_200);
  }
});

test('secrets never on disk outside the store; the log names exchanges without the key', async () => {
  for (const mode of STORE_MODES) {
    assertNoSecretOnDisk(sandboxes!.boxes[mode], { 'secret key': KEY.secretAccessKey, doomed: DOOMED.secretAccessKey });
  }
  assert.match(logText(sandboxes!.boxes.file), /exchanged a token for/);
});

test.run();
