// ECR without a login, as amazon-ecr-credential-helper's `ecr-login` works: `configure --ecr` maps one pattern,
// `*.dkr.ecr.*.amazonaws.com`, to the AWS identity the environment proves (`--source auto`; here the environment's
// keys), and that one entry answers every ECR registry — every account and region, China, FIPS, ECR Public — each
// with a token of its own, exchanged in the registry's region with the SigV4-checking stand-in (test/fixtures/aws.ts)
// and cached under the registry's host. The daemon refreshes those tokens; a logout forgets them all. No registry
// runs here: ECR host names cannot reach a loopback registry, so the stand-in that issued a password judges it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as awsFixture from '../fixtures/aws.js';
import * as cloud from './support/cloud.js';
import {
  cacheRecord,
  cacheRecords,
  daemonCommand,
  fileStoreSandbox,
  getWith,
  makeCachedTokenDue,
  parseCreds,
  startDaemon,
  waitFor,
  type Daemon,
} from './support/exchange-env.js';
import { runHelper } from './support/helper.js';
import { setUp, stopAll } from './support/lifecycle.js';
import { describe } from './support/run.js';
import type { Sandbox } from './support/sandbox.js';

const PATTERN = '*.dkr.ecr.*.amazonaws.com';
const KEY = {
  accessKeyId: `AKIA${randomBytes(8).toString('hex').toUpperCase()}`,
  secretAccessKey: `every-ecr-${randomBytes(16).toString('hex')}`,
};
/** Registries of two accounts in one region, another region, China and FIPS: each its own token and region. */
const REGISTRIES = [
  { host: '111111111111.dkr.ecr.us-west-2.amazonaws.com', region: 'us-west-2' },
  { host: '222222222222.dkr.ecr.us-west-2.amazonaws.com', region: 'us-west-2' },
  { host: '222222222222.dkr.ecr.eu-west-1.amazonaws.com', region: 'eu-west-1' },
  { host: '333333333333.dkr.ecr.cn-north-1.amazonaws.com.cn', region: 'cn-north-1' },
  { host: '111111111111.dkr.ecr-fips.us-east-1.amazonaws.com', region: 'us-east-1' },
];

let sb: Sandbox | undefined;
let aws: awsFixture.AwsHandle | undefined;
let daemon: Daemon | undefined;
let env: NodeJS.ProcessEnv;

test.before(() =>
  setUp('ecr-every-registry', async () => {
    sb = fileStoreSandbox('ecr-every');
    aws = await awsFixture.start({ keys: [KEY] });
    env = {
      ...sb.env,
      ...aws.endpointEnv(),
      AWS_ACCESS_KEY_ID: KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEY.secretAccessKey,
      LANYARD_AGENT: '0',
    };
  }),
);

test.after(() =>
  stopAll('ecr-every-registry', [
    ['daemon', () => daemon?.stop()],
    ['aws', () => aws?.stop()],
    ['sandbox', () => sb?.cleanup()],
  ]),
);

const ecrRequests = () => aws!.counts.byOperation['ecr:GetAuthorizationToken'] ?? 0;

/** `get` answered AWS + a password the stand-in issued for `region` (public: ECR Public's); returns it. */
async function ecrPassword(host: string, region: string, isPublic = false): Promise<string> {
  const creds = parseCreds(await getWith(env, host), `get ${host}`);
  assert.is(creds.Username, 'AWS', `${host}: username`);
  const check = aws!.validateEcrPassword(creds.Secret);
  assert.ok(check.ok && check.region === region && check.public === isPublic, `${host}: ${JSON.stringify(check)}`);
  assert.ok(check.ok && check.accessKeyId === KEY.accessKeyId, `${host}: signed by the environment's key`);
  return creds.Secret;
}

test('configure --ecr maps one pattern to the environment identity, asks nothing, routes ECR Public', async () => {
  const r = await runHelper(['configure', '--ecr'], { env });
  assert.is(r.code, 0, describe(r));
  assert.match(r.stdout, `mapped ${PATTERN} to the identity the environment proves at each pull`);
  assert.match(r.stderr, /note: docker and podman route by exact host: add each private registry with/);
  const entries = await cloud.lsEntries(env);
  assert.equal(
    entries.map((e) => [e.server, e.kind]),
    [[PATTERN, 'aws-ecr']],
  );
  const docker = JSON.parse(readFileSync(join(sb!.home, '.docker', 'config.json'), 'utf8'));
  assert.equal(docker.credHelpers, { 'public.ecr.aws': 'lanyard' }, 'the one ECR host known by name');
  assert.is(aws!.counts.total, 0, 'nothing checked now: the identity may come later');
  const again = await runHelper(['configure', '--ecr'], { env });
  assert.is(again.code, 0, describe(again));
  assert.match(again.stdout, `kept the login already mapped for ${PATTERN}`);
});

test('one entry answers every account, region and partition, each with its own token and request', async () => {
  const passwords = new Map<string, string>();
  for (const { host, region } of REGISTRIES) passwords.set(host, await ecrPassword(host, region));
  assert.ok(await ecrPassword('public.ecr.aws', 'us-east-1', true), 'ECR Public through the same entry');
  assert.is(new Set(passwords.values()).size, REGISTRIES.length, 'a token per registry');
  assert.is(ecrRequests(), REGISTRIES.length, 'one exchange per registry');
  assert.equal(aws!.counts.ecrByRegion, { 'us-west-2': 2, 'eu-west-1': 1, 'cn-north-1': 1, 'us-east-1': 1 });
  assert.is(aws!.counts.byOperation['ecr-public:GetAuthorizationToken'], 1);

  // Each registry's token is cached under its host, for this login; a second round asks nothing.
  for (const { host, region } of REGISTRIES) {
    assert.is(await ecrPassword(host, region), passwords.get(host), `${host}: cached`);
    assert.is(cacheRecord(sb!, host)?.token?.secret, passwords.get(host), `${host}: its own record`);
  }
  assert.is(cacheRecord(sb!, PATTERN), undefined, 'no token for the pattern itself');
  assert.is(ecrRequests(), REGISTRIES.length, 'the cached tokens served the second round');
  // A look-alike is no ECR registry, and the pattern does not answer it.
  const lookalike = await getWith(env, '111111111111.dkr.ecr.us-west-2.amazonaws.com.example.com');
  assert.is(lookalike.stdout.trim(), 'credentials not found in native keychain', describe(lookalike));
});

test('kubelet gets a registry token keyed by that registry alone (it opens no other region)', async () => {
  const { host, region } = REGISTRIES[2]!;
  const stdin = JSON.stringify({
    apiVersion: 'credentialprovider.kubelet.k8s.io/v1',
    kind: 'CredentialProviderRequest',
    image: `${host}/team/app:1`,
  });
  const r = await runHelper(['kubelet'], { env, stdin });
  assert.is(r.code, 0, describe(r));
  const response = JSON.parse(r.stdout) as { auth: Record<string, { username: string; password: string }> };
  assert.equal(Object.keys(response.auth), [host]);
  const check = aws!.validateEcrPassword(response.auth[host]!.password);
  assert.ok(check.ok && check.region === region, JSON.stringify(check));
});

test('export writes each registry the token of its own region', async () => {
  for (const { host, region } of [REGISTRIES[2]!, REGISTRIES[3]!]) {
    const { login } = await cloud.exportedLogin(env, host, ['--format', 'dockerconfigjson']);
    const check = aws!.validateEcrPassword(login!.password);
    assert.ok(check.ok && check.region === region, `${host}: ${JSON.stringify(check)}`);
  }
});

test('the daemon refreshes each registry token the pattern answered', async () => {
  const { host, region } = REGISTRIES[3]!;
  const before = cacheRecord(sb!, host)!.token!.secret;
  makeCachedTokenDue(sb!, host);
  const asked = aws!.counts.ecrByRegion[region] ?? 0;
  daemon = await startDaemon(sb!, env);
  const renewed = await waitFor('the daemon to renew the token', () => {
    const token = cacheRecord(sb!, host)?.token;
    return token && token.secret !== before ? token : undefined;
  });
  const check = aws!.validateEcrPassword(renewed.secret);
  assert.ok(check.ok && check.region === region, JSON.stringify(check));
  assert.is(aws!.counts.ecrByRegion[region], asked + 1, 'one exchange, in the registry region');
  const status = await daemonCommand(env, ['status']);
  assert.is(status.code, 0, describe(status));
  const watched = status.stdout.split('\n').map((line) => line.split(' (aws-ecr')[0]);
  assert.ok(
    REGISTRIES.every(({ host: h }) => watched.includes(h)) && !watched.includes(PATTERN),
    `the daemon watches each registry, not the pattern:\n${status.stdout}`,
  );
  await daemon.stop();
  daemon = undefined;
});

test('logout of the pattern forgets every registry token it held', async () => {
  assert.ok(cacheRecords(sb!).length >= REGISTRIES.length, 'tokens cached before');
  const r = await runHelper(['logout', PATTERN], { env });
  assert.is(r.code, 0, describe(r));
  assert.equal(
    cacheRecords(sb!).map((c) => c.record.server),
    [],
    'no token left behind',
  );
  const gone = await getWith(env, REGISTRIES[0]!.host);
  assert.is(gone.stdout.trim(), 'credentials not found in native keychain', describe(gone));
});

test.run();
