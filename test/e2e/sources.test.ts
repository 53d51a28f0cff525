// `login --source`: logins with no stored secret, end to end with the compiled binary. Each identity source is
// served by its stand-in on 127.0.0.1 (test/fixtures/aws-identity.ts, gce-metadata.ts, ibm-identity.ts), reached
// only through the override variables in docs/environment.md; the AWS stand-in takes the temporary
// credentials they hand out through aws-session-bridge.ts, which checks the session token and its expiry.
// Proven here: login + get per source (the answer checked by the stand-in that issued it), skopeo push and pull
// through the token registry per source (the registry takes only logins of that source's identity), kubelet mode
// for aws-instance, aws-web-identity, ibm-trusted-profile, ibm-vpc-instance and gcp-metadata, `--source auto`
// and doctor naming what answered, the daemon renewing an answer whose source credentials expire mid-run with no
// failed get, and an absent metadata service.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as awsFixture from '../fixtures/aws.js';
import { startImds, startStsWebIdentity, type ImdsHandle, type WebIdentityHandle } from '../fixtures/aws-identity.js';
import { startSessionBridge, type SessionBridge } from '../fixtures/aws-session-bridge.js';
import { startGceMetadata, type GceHandle } from '../fixtures/gce-metadata.js';
import { startIbmIdentity, type IbmIdentityHandle } from '../fixtures/ibm-identity.js';
import type { Served } from '../fixtures/support.js';
import type * as registryFixture from '../fixtures/token-registry.js';
import * as cloud from './support/cloud.js';
import {
  cacheRecord,
  daemonCommand,
  fileStoreSandbox,
  getWith,
  parseCreds,
  sleep,
  startDaemon,
  type Daemon,
} from './support/exchange-env.js';
import { runHelper } from './support/helper.js';
import { freePort } from './support/port.js';
import { describe, type RunResult } from './support/run.js';
import type { Sandbox } from './support/sandbox.js';

const REGION = 'us-west-2';
const ROLE = 'arn:aws:iam::123456789012:role/ci-push';
const CI_SUBJECT = 'repo:acme/app:ref:refs/heads/main';
const POD_SUBJECT = 'system:serviceaccount:ci:pusher';
const PROFILE = {
  id: 'Profile-8dd8e6d5-0d9e-4d28-a6b5-5c2a0e8a1b77',
  name: 'icr-pull',
  crn: 'crn:v1:bluemix:public:iam-identity::a/1::profile:Profile-8dd8',
  trusts: [POD_SUBJECT],
};
/** The profile linked to the VPC instance: not the pods' one, so the registry can tell the two sources apart. */
const NODE_PROFILE = {
  id: 'Profile-4b1c0f9e-7a2d-4c55-9e0b-3f6d2a9c8e11',
  name: 'vpc-node',
  crn: 'crn:v1:bluemix:public:iam-identity::a/1::profile:Profile-4b1c',
  trusts: [],
};
/** Server keys for logins checked by `get` and kubelet mode (the registry host serves the real clients). */
const HOSTS = {
  awsInstance: 'aws-instance.registry.test',
  awsWebIdentity: 'aws-web-identity.registry.test',
  ibmProfile: 'ibm-profile.registry.test',
  ibmVpc: 'ibm-vpc.registry.test',
  gcpMetadata: 'gcp-metadata.registry.test',
};

let sb: Sandbox;
let aws: awsFixture.AwsHandle;
let bridge: SessionBridge;
let imds: ImdsHandle;
let sts: WebIdentityHandle;
let gce: GceHandle;
let ibm: IbmIdentityHandle;
let imdsFront: Served;
let stsFront: Served;
let registry: registryFixture.TokenRegistryHandle;
let target: cloud.SkopeoTarget;
/** A loopback port nothing listens on: a metadata service that is not there. */
let deadPort: number;
/** Every login the token registry was asked about. */
const presented: cloud.Login[] = [];

const gceLogin = (username: string, password: string) =>
  username === 'oauth2accesstoken' && gce.validateToken(password) ? 'gce-default' : null;
const ibmLogin = (username: string, password: string) =>
  username === 'iambearer' ? ibm.validateToken(password) : null;
/** Who the registry took a login for: `aws:<account>:<access key>`, an IBM profile id, or gce-default. */
const registrySubject = ({ username, password }: cloud.Login) =>
  aws.registryLogin(username, password) ?? ibmLogin(username, password) ?? gceLogin(username, password);

test.before(async () => {
  try {
    sb = fileStoreSandbox('sources');
    aws = await awsFixture.start({ keys: [] });
    bridge = await startSessionBridge(aws);
    imds = await startImds();
    sts = await startStsWebIdentity({ roles: { [ROLE]: [CI_SUBJECT] }, sessionSeconds: 3600 });
    imdsFront = await bridge.recorder(imds);
    stsFront = await bridge.recorder(sts);
    gce = await startGceMetadata();
    ibm = await startIbmIdentity({ profiles: [PROFILE, NODE_PROFILE], instanceProfileId: NODE_PROFILE.id });
    registry = await cloud.startCloudRegistry((u, p) => registrySubject({ username: u, password: p }), presented);
    deadPort = await freePort();
    target = await cloud.skopeoTarget(sb, registry.host);
    Object.assign(sb.env, overrides(), {
      // Present but unused here: they must not lead anywhere either.
      AWS_SHARED_CREDENTIALS_FILE: join(sb.root, 'aws-credentials'),
      AWS_CONFIG_FILE: join(sb.root, 'aws-config'),
      CLOUDSDK_CONFIG: join(sb.root, 'gcloud'),
      LANYARD_IBM_CR_TOKEN_FILE: join(sb.root, 'cr-token'),
    });
  } catch (error) {
    console.error('[sources] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  for (const served of [registry, ibm, gce, sts, imds, bridge, aws]) {
    try {
      await served?.stop();
    } catch (error) {
      console.error('[sources] stop:', error);
    }
  }
});

/** Every endpoint an identity source or provider could reach, moved to a stand-in or to a dead loopback port. */
function overrides(): Record<string, string> {
  const dead = `http://127.0.0.1:${deadPort}`;
  return {
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsFront.url,
    AWS_ENDPOINT_URL_ECR: bridge.gate.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: bridge.gate.url,
    AWS_ENDPOINT_URL_STS: stsFront.url,
    GCE_METADATA_HOST: gce.host,
    LANYARD_IBM_METADATA_ENDPOINT: ibm.url,
    LANYARD_IAM_ENDPOINT: ibm.url,
    AZURE_POD_IDENTITY_AUTHORITY_HOST: dead,
    AZURE_AUTHORITY_HOST: dead,
  };
}

const lanyard = (args: string[], env = sb.env, timeoutMs = 30_000) => runHelper(args, { env, timeoutMs });

function loginOk(r: RunResult, source: string | RegExp, identity: RegExp) {
  assert.is(r.code, 0, describe(r));
  assert.match(r.stderr, source);
  assert.match(r.stderr, identity);
  assert.match(r.stderr, 'nothing secret is stored');
}

const mappingEntry = (server: string) =>
  (
    JSON.parse(readFileSync(join(sb.env.XDG_CONFIG_HOME!, 'lanyard', 'mapping.json'), 'utf8')) as {
      entries: Array<Record<string, unknown>>;
    }
  ).entries.find((e) => e.server === server);

/** A management command's failure: exit 1, one line on stderr naming the problem, no stack trace. */
function oneLineFailure(r: RunResult, what: RegExp) {
  assert.is(r.code, 1, describe(r));
  assert.is(r.stderr.trim().split('\n').length, 1, `one line\n${describe(r)}`);
  assert.match(r.stderr, what);
  assert.not.match(r.stderr, /\n\s+at /);
}

function assertNothingStored(server: string, source: string) {
  const entry = mappingEntry(server);
  assert.is(entry?.source, source, JSON.stringify(entry));
  assert.is(entry?.store, undefined, 'no store');
  assert.is(entry?.secretRef, undefined, 'no secret id');
  const secretsFile = join(sb.env.XDG_DATA_HOME!, 'lanyard', 'secrets.json');
  if (existsSync(secretsFile)) assert.not.match(readFileSync(secretsFile, 'utf8'), server);
}

/** skopeo pushes and pulls as team/app:`tag`; every login the registry took meanwhile was `subject`'s. */
async function pushAndPull(tag: string, subject: (s: string | null) => boolean, env = sb.env) {
  const seen = await cloud.subjectsPresentedDuring(presented, registrySubject, () =>
    cloud.skopeoRoundTrip(env, target, tag),
  );
  assert.ok(seen.length > 0 && seen.every(subject), `the registry took logins of ${JSON.stringify(seen)}`);
}

/** `login <the registry host>` with `args`, so the real clients' `get` answers from that source. */
async function loginRegistry(args: string[], env = sb.env) {
  const r = await lanyard(['login', registry.host, ...args], env);
  assert.is(r.code, 0, describe(r));
}

/** The registry subject of an ECR password signed with the instance role's current key. */
const instanceRoleSubject = (s: string | null) => s?.endsWith(`:${imds.current().AccessKeyId}`) === true;
/** An ECR password signed with some other AWS key: in this file, only the web-identity session's. */
const webIdentitySubject = (s: string | null) => s?.startsWith('aws:') === true && !instanceRoleSubject(s);

test('every default endpoint is overridden with a loopback address', () => {
  for (const [name, value] of Object.entries(overrides())) {
    assert.match(value, /^(http:\/\/)?127\.0\.0\.1:\d+$/, name);
    assert.is(sb.env[name], value, name);
  }
});

test('aws-instance: IMDSv2 role credentials sign the ECR call, session token included; nothing stored', async () => {
  const r = await lanyard(['login', HOSTS.awsInstance, '--source', 'aws-instance', '--region', REGION]);
  loginOk(r, 'aws-instance', /instance role lanyard-node-role/);
  assertNothingStored(HOSTS.awsInstance, 'aws-instance');
  const creds = parseCreds(await getWith(sb.env, HOSTS.awsInstance), 'get');
  assert.is(creds.Username, 'AWS');
  assert.ok(aws.validateEcrPassword(creds.Secret).ok, 'an ECR password the stand-in issued');
  assert.is(
    bridge.counts.accepted,
    1,
    `the login check signed with the IMDS session, get answered its token: ${JSON.stringify(bridge.counts)}`,
  );
  assert.equal(bridge.counts.refused, {}, 'never without or with a wrong session token');
  const ls = JSON.parse((await lanyard(['ls', '--json'])).stdout) as Array<Record<string, unknown>>;
  const listed = ls.find((e) => e.server === HOSTS.awsInstance);
  assert.is(listed?.source, 'aws-instance');
  assert.is(listed?.kind, 'aws-ecr');
  assert.match((await lanyard(['ls'])).stdout, 'source aws-instance');
  await loginRegistry(['--source', 'aws-instance', '--region', REGION]);
  await pushAndPull('aws-instance', instanceRoleSubject);
});

test('aws-web-identity (CI OIDC): the token file becomes an STS session; kubelet, skopeo', async () => {
  const tokenFile = join(sb.root, 'oidc-token');
  writeFileSync(tokenFile, sts.issueWebIdentityToken(CI_SUBJECT));
  const env = { ...sb.env, AWS_ROLE_ARN: ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile };
  const r = await lanyard(['login', HOSTS.awsWebIdentity, '--source', 'aws-web-identity', '--region', REGION], env);
  loginOk(r, 'aws-web-identity', /assumed-role\/ci-push/);
  const creds = parseCreds(await getWith(env, HOSTS.awsWebIdentity), 'get');
  assert.ok(aws.validateEcrPassword(creds.Secret).ok);
  const { login } = await cloud.kubeletLogin(env, `${HOSTS.awsWebIdentity}/team/app:1`, HOSTS.awsWebIdentity);
  assert.ok(login && webIdentitySubject(registrySubject(login)), `kubelet: ${login && registrySubject(login)}`);
  await loginRegistry(['--source', 'aws-web-identity', '--region', REGION], env);
  await pushAndPull('aws-web-identity', webIdentitySubject, env);
});

test('ibm-trusted-profile: the compute-resource token becomes an IAM token answered as iambearer', async () => {
  writeFileSync(sb.env.LANYARD_IBM_CR_TOKEN_FILE!, ibm.issueCrToken(POD_SUBJECT));
  const args = ['--source', 'ibm-trusted-profile', '--trusted-profile', PROFILE.name];
  loginOk(await lanyard(['login', HOSTS.ibmProfile, ...args]), 'ibm-trusted-profile', /icr-pull/);
  assertNothingStored(HOSTS.ibmProfile, 'ibm-trusted-profile');
  const creds = parseCreds(await getWith(sb.env, HOSTS.ibmProfile), 'get');
  assert.is(creds.Username, 'iambearer');
  assert.is(ibm.validateToken(creds.Secret), PROFILE.id);
  await loginRegistry(args);
  await pushAndPull('ibm-trusted-profile', (s) => s === PROFILE.id);
});

test('ibm-vpc-instance: the instance identity token becomes the linked profile IAM token; skopeo', async () => {
  loginOk(await lanyard(['login', HOSTS.ibmVpc, '--source', 'ibm-vpc-instance']), 'ibm-vpc-instance', /./);
  const creds = parseCreds(await getWith(sb.env, HOSTS.ibmVpc), 'get');
  assert.is(creds.Username, 'iambearer');
  assert.is(ibm.validateToken(creds.Secret), NODE_PROFILE.id);
  await loginRegistry(['--source', 'ibm-vpc-instance']);
  await pushAndPull('ibm-vpc-instance', (s) => s === NODE_PROFILE.id);
});

test("gcp-metadata: the metadata server's token is the answer, as oauth2accesstoken", async () => {
  const r = await lanyard(['login', HOSTS.gcpMetadata, '--source', 'gcp-metadata']);
  loginOk(r, 'gcp-metadata', /node-sa@lanyard-test\.iam\.gserviceaccount\.com/);
  const creds = parseCreds(await getWith(sb.env, HOSTS.gcpMetadata), 'get');
  assert.is(creds.Username, 'oauth2accesstoken');
  assert.ok(gce.validateToken(creds.Secret));
  await loginRegistry(['--source', 'gcp-metadata']);
  await pushAndPull('gcp-metadata', (s) => s === 'gce-default');
});

test('kubelet mode answers from each metadata or projected-token source', async () => {
  for (const [host, check] of [
    [HOSTS.awsInstance, (u: string, p: string) => u === 'AWS' && aws.validateEcrPassword(p).ok],
    [HOSTS.ibmProfile, (u: string, p: string) => u === 'iambearer' && ibm.validateToken(p) === PROFILE.id],
    [HOSTS.ibmVpc, (u: string, p: string) => u === 'iambearer' && ibm.validateToken(p) === NODE_PROFILE.id],
    [HOSTS.gcpMetadata, (u: string, p: string) => u === 'oauth2accesstoken' && gce.validateToken(p)],
  ] as const) {
    const request = { apiVersion: 'credentialprovider.kubelet.k8s.io/v1', kind: 'CredentialProviderRequest' };
    const r = await runHelper(['kubelet'], {
      env: sb.env,
      stdin: JSON.stringify({ ...request, image: `${host}/team/app:1` }),
      timeoutMs: 20_000,
    });
    assert.is(r.code, 0, describe(r));
    const auth = (JSON.parse(r.stdout) as { auth: Record<string, { username: string; password: string }> }).auth;
    const login = auth[host];
    assert.ok(login && check(login.username, login.password), `${host}: ${r.stdout.slice(0, 200)}`);
  }
});

test('--source auto takes the instance role when nothing else is configured; doctor names it', async () => {
  const host = 'auto.registry.test';
  const r = await lanyard(['login', host, '--source', 'auto', '--kind', 'aws-ecr', '--region', REGION]);
  loginOk(r, /--source auto \(aws-instance answered\)/, /instance role lanyard-node-role/);
  assert.is(mappingEntry(host)?.source, 'auto');
  const doctor = await lanyard(['doctor'], sb.env, 60_000);
  assert.match(doctor.stdout, new RegExp(`${host}: the aws-instance identity source answered as instance role`));
  // After an exchange, ls names the source auto chose and whom it proved.
  parseCreds(await getWith(sb.env, host), 'get through auto');
  assert.match(
    (await lanyard(['ls'])).stdout,
    new RegExp(`${host.replace(/\./g, '\\.')} .*source auto \\(aws-instance\\)`),
  );
  const listed = (JSON.parse((await lanyard(['ls', '--json'])).stdout) as Array<Record<string, unknown>>).find(
    (e) => e.server === host,
  );
  assert.equal((listed?.answeredBy as { source?: string })?.source, 'aws-instance');
  // Keys in the environment come first in AWS's order: auto now takes them (and they are not the instance's).
  const keyed = { ...sb.env, AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', AWS_SECRET_ACCESS_KEY: 'wrong-secret' };
  const again = await lanyard(
    ['login', 'auto2.registry.test', '--source', 'auto', '--kind', 'aws-ecr', '--region', REGION],
    keyed,
  );
  oneLineFailure(again, /not stored: .*AKIAIOSFODNN7EXAMPLE/);
});

test('an absent metadata service is one clear line, fast, and nothing is stored', async () => {
  const env = { ...sb.env, AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${deadPort}` };
  const started = Date.now();
  const r = await lanyard(['login', 'absent.registry.test', '--source', 'aws-instance', '--region', REGION], env);
  const took = Date.now() - started;
  oneLineFailure(r, /not stored: .*instance metadata service .*did not answer/);
  assert.ok(took < 6000, `took ${took} ms`);
  assert.is(mappingEntry('absent.registry.test'), undefined);
});

test('source credentials expiring mid-run: the daemon renews the answer, no get fails', async () => {
  const shortSts = await startStsWebIdentity({ roles: { [ROLE]: [CI_SUBJECT] }, sessionSeconds: 30 });
  const front = await bridge.recorder(shortSts);
  const tokenFile = join(sb.root, 'oidc-short');
  writeFileSync(tokenFile, shortSts.issueWebIdentityToken(CI_SUBJECT));
  const env = {
    ...sb.env,
    AWS_ROLE_ARN: ROLE,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
    AWS_ENDPOINT_URL_STS: front.url,
  };
  const host = 'renewal.registry.test';
  let daemon: Daemon | undefined;
  try {
    const login = await lanyard(['login', host, '--source', 'aws-web-identity', '--region', REGION], env);
    assert.is(login.code, 0, describe(login));
    daemon = await startDaemon(sb, env);
    const passwords = new Set<string>();
    const deadline = Date.now() + 50_000;
    while (Date.now() < deadline) {
      const creds = parseCreds(await getWith(env, host), 'get during the run');
      assert.ok(aws.validateEcrPassword(creds.Secret).ok);
      passwords.add(creds.Secret);
      const record = cacheRecord(sb, host);
      // The answer lives no longer than the 30-second session that asked for it.
      const token = record?.token;
      assert.ok(token?.expiresAt !== undefined && token.expiresAt - token.issuedAt <= 31_000, JSON.stringify(token));
      await sleep(1000);
    }
    assert.ok(shortSts.counts.sessions >= 3, `sessions: ${shortSts.counts.sessions}`);
    assert.ok(passwords.size >= 2, 'the daemon renewed the answer');
    assert.not.ok('ExpiredTokenException' in bridge.counts.refused, 'an expired session was never used');
    const status = await daemonCommand(env, ['status']);
    assert.match(status.stdout, `${host} (aws-ecr from source aws-web-identity)`);
  } finally {
    await daemon?.stop();
    await front.stop();
    await shortSts.stop();
  }
});

test.run();
