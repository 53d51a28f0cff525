// `login --source`, continued from sources.test.ts: the sources that file does not prove, end to end with the
// compiled binary and each source's stand-in on 127.0.0.1 (reached only through docs/environment.md's override
// variables or a key file's token_uri), every answer checked by the stand-in that issued it and used at the token
// registry:
//   azure-workload-identity and azure-managed-identity (IDENTITY_ENDPOINT + IDENTITY_HEADER, and IMDS through
//   AZURE_POD_IDENTITY_AUTHORITY_HOST): an Entra token from azure-identity.ts that azure.ts's ACR exchange takes
//   (trustEntraToken), skopeo push and pull, kubelet mode (null GUID + refresh token);
//   gcp-adc: a service-account key (GOOGLE_APPLICATION_CREDENTIALS; also kubelet mode) and an authorized_user file
//   (gcloud's well-known file) exchanged at google.ts, each with skopeo; an external_account file through STS and
//   IAM Credentials, and one whose command is not allowed (one line, nothing stored);
//   aws-env and aws-profile: session keys IMDS handed out (recorded by the session bridge, which insists on their
//   session token) in the environment (also kubelet mode and skopeo) and in a shared credentials file, a
//   long-lived key in a credentials file (kubelet mode and skopeo), and a profile's role assumed with a key;
// Every skopeo round trip that follows another source's checks whose logins the registry took (`loginAndRoundTrip`).
//   the real Docker Engine pushing and pulling through the token registry with aws-web-identity.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as awsFixture from '../fixtures/aws.js';
import { startImds, startStsWebIdentity, type ImdsHandle, type WebIdentityHandle } from '../fixtures/aws-identity.js';
import { startSessionBridge, type SessionBridge } from '../fixtures/aws-session-bridge.js';
import * as azureFixture from '../fixtures/azure.js';
import { startAzureIdentity, type AzureIdentityHandle } from '../fixtures/azure-identity.js';
import * as googleFixture from '../fixtures/google.js';
import type { Served } from '../fixtures/support.js';
import type * as registryFixture from '../fixtures/token-registry.js';
import * as cloud from './support/cloud.js';
import { dockerClientEnv, startDockerEngine } from './support/docker-engine.js';
import { fileStoreSandbox, getWith, parseCreds } from './support/exchange-env.js';
import { runHelper } from './support/helper.js';
import { setUp, stopAll } from './support/lifecycle.js';
import { freePort } from './support/port.js';
import { describe, type RunResult } from './support/run.js';
import type { Sandbox } from './support/sandbox.js';

const REGION = 'us-west-2';
const TENANT = randomUUID();
const WORKLOAD = {
  tenant: TENANT,
  clientId: randomUUID(),
  issuer: 'https://oidc.cluster.test/abc',
  subject: 'system:serviceaccount:ci:pusher',
};
const MANAGED = { clientId: randomUUID(), tenant: TENANT };
const WEB_ROLE = 'arn:aws:iam::123456789012:role/ci-push';
const PROFILE_ROLE = 'arn:aws:iam::123456789012:role/profile-push';
const CI_SUBJECT = 'repo:acme/app:ref:refs/heads/main';
const KEY = { accessKeyId: 'AKIAPROFILEKEY000001', secretAccessKey: 'profile/secret/key/0123456789abcdefghij' };

let sb: Sandbox;
let aws: awsFixture.AwsHandle;
let bridge: SessionBridge;
let imds: ImdsHandle;
let imdsFront: Served;
let sts: WebIdentityHandle;
let stsFront: Served;
let identity: AzureIdentityHandle;
let az: azureFixture.AzureHandle;
let google: googleFixture.GoogleHandle;
let registry: registryFixture.TokenRegistryHandle;
let target: cloud.SkopeoTarget;
let deadPort: number;
/** Every login the token registry was asked about. */
const presented: cloud.Login[] = [];

test.before(() =>
  setUp('sources-more', async () => {
    sb = fileStoreSandbox('sources-more');
    aws = await awsFixture.start({ keys: [KEY], roles: [PROFILE_ROLE] });
    bridge = await startSessionBridge(aws);
    imds = await startImds();
    imdsFront = await bridge.recorder(imds);
    sts = await startStsWebIdentity({ roles: { [WEB_ROLE]: [CI_SUBJECT] }, sessionSeconds: 3600 });
    stsFront = await bridge.recorder(sts);
    identity = await startAzureIdentity({ federated: [WORKLOAD], managedIdentity: MANAGED });
    az = await azureFixture.start({ clients: [], trustEntraToken: identity.validateToken });
    google = await googleFixture.start();
    registry = await cloud.startCloudRegistry((u, p) => registrySubject({ username: u, password: p }), presented);
    deadPort = await freePort();
    target = await cloud.skopeoTarget(sb, registry.host);
    Object.assign(sb.env, overrides(), {
      AWS_SHARED_CREDENTIALS_FILE: join(sb.root, 'aws-credentials'),
      AWS_CONFIG_FILE: join(sb.root, 'aws-config'),
      CLOUDSDK_CONFIG: join(sb.root, 'gcloud'),
    });
  }),
);

test.after(async () => {
  await stopAll('sources-more', [
    ['registry', () => registry?.stop()],
    ['google', () => google?.stop()],
    ['azure', () => az?.stop()],
    ['azure identity', () => identity?.stop()],
    ['sts', () => sts?.stop()],
    ['imds', () => imds?.stop()],
    ['bridge', () => bridge?.stop()],
    ['aws', () => aws?.stop()],
  ]);
  sb?.cleanup();
});

/** Every endpoint a source or provider could reach by default: a stand-in, or a dead loopback port. */
function overrides(): Record<string, string> {
  const dead = `http://127.0.0.1:${deadPort}`;
  return {
    AWS_EC2_METADATA_SERVICE_ENDPOINT: imdsFront.url,
    AWS_ENDPOINT_URL_ECR: bridge.gate.url,
    AWS_ENDPOINT_URL_ECR_PUBLIC: bridge.gate.url,
    AWS_ENDPOINT_URL_STS: stsFront.url,
    AZURE_AUTHORITY_HOST: identity.url,
    AZURE_POD_IDENTITY_AUTHORITY_HOST: identity.url,
    GCE_METADATA_HOST: `127.0.0.1:${deadPort}`,
    LANYARD_IBM_METADATA_ENDPOINT: dead,
    LANYARD_IAM_ENDPOINT: dead,
  };
}

/** Per-test variables that name an endpoint: they must be loopback too. */
const appServiceEnv = () => ({
  IDENTITY_ENDPOINT: `${identity.url}/msi/token`,
  IDENTITY_HEADER: identity.identityHeader,
});

const LOOPBACK = /^(http:\/\/)?127\.0\.0\.1:\d+(\/[\w/.-]*)?$/;

test('every endpoint (override variables, key files, --acr-endpoint) is a loopback address', () => {
  for (const [name, value] of Object.entries({
    ...overrides(),
    IDENTITY_ENDPOINT: appServiceEnv().IDENTITY_ENDPOINT,
  })) {
    assert.match(value, LOOPBACK, name);
  }
  for (const [name, value] of Object.entries(overrides())) assert.is(sb.env[name], value, name);
  assert.match(az.url, LOOPBACK, '--acr-endpoint');
  assert.match(google.tokenUrl, LOOPBACK, 'token_uri of the key files');
});

const lanyard = (args: string[], env: NodeJS.ProcessEnv, timeoutMs = 30_000) => runHelper(args, { env, timeoutMs });

function loginOk(r: RunResult, source: string, identityPattern: RegExp) {
  assert.is(r.code, 0, describe(r));
  assert.match(r.stderr, `the ${source} source`);
  assert.match(r.stderr, identityPattern);
  assert.match(r.stderr, 'nothing secret is stored');
}

const pushAndPull = (env: NodeJS.ProcessEnv, tag: string) => cloud.skopeoRoundTrip(env, target, tag);

/** Who the registry took a login for: `aws:<account>:<access key>`, an ACR client id or a Google subject. */
const registrySubject = ({ username, password }: cloud.Login) =>
  aws.registryLogin(username, password) ??
  az.registryLogin(username, password) ??
  google.registryLogin(username, password);

/** `login <the registry host>` with `args`, then skopeo pushes and pulls: the registry took only `subject`'s logins. */
async function loginAndRoundTrip(env: NodeJS.ProcessEnv, args: string[], tag: string, subject: string) {
  const r = await lanyard(['login', registry.host, ...args], env);
  assert.is(r.code, 0, describe(r));
  const seen = await cloud.subjectsPresentedDuring(presented, registrySubject, () => pushAndPull(env, tag));
  assert.equal(seen, [subject], `the registry took logins of ${JSON.stringify(seen)}`);
}

// ---- Azure ----------------------------------------------------------------------------------------------

const acrArgs = () => ['--kind', 'azure-acr', '--acr-endpoint', az.url];

function workloadEnv(): NodeJS.ProcessEnv {
  const tokenFile = join(sb.root, 'azure-federated-token');
  writeFileSync(tokenFile, identity.issueFederatedToken(WORKLOAD.issuer, WORKLOAD.subject), { mode: 0o600 });
  return {
    ...sb.env,
    AZURE_FEDERATED_TOKEN_FILE: tokenFile,
    AZURE_CLIENT_ID: WORKLOAD.clientId,
    AZURE_TENANT_ID: WORKLOAD.tenant,
  };
}

/** `get` answers an ACR refresh token the exchange issued to `clientId` for `host`. */
async function assertAcrAnswer(env: NodeJS.ProcessEnv, host: string, clientId: string) {
  const creds = parseCreds(await getWith(env, host), `get ${host}`);
  assert.is(creds.Username, '<token>');
  const check = az.validateRefreshToken(creds.Secret);
  assert.ok(check.ok && check.subject === clientId && check.service === host, JSON.stringify(check));
}

async function assertKubeletAcr(env: NodeJS.ProcessEnv, host: string, clientId: string) {
  const { login } = await cloud.kubeletLogin(env, `${host}/team/app:1`, host);
  assert.is(login?.username, azureFixture.ACR_REFRESH_USERNAME, 'kubelet: the null GUID');
  assert.is(az.registryLogin(login!.username, login!.password), clientId, 'kubelet: a live ACR refresh token');
}

test('azure-workload-identity: the federated token becomes an Entra token, then an ACR refresh token', async () => {
  const env = workloadEnv();
  const host = 'acr-workload.registry.test';
  const before = identity.counts.byEndpoint.entra ?? 0;
  loginOk(
    await lanyard(['login', host, '--source', 'azure-workload-identity', ...acrArgs()], env),
    'azure-workload-identity',
    new RegExp(WORKLOAD.clientId),
  );
  assert.ok((identity.counts.byEndpoint.entra ?? 0) > before, 'the assertion grant was asked');
  await assertAcrAnswer(env, host, WORKLOAD.clientId);
  await assertKubeletAcr(env, host, WORKLOAD.clientId);
  await loginAndRoundTrip(env, ['--source', 'azure-workload-identity', ...acrArgs()], 'azure-wi', WORKLOAD.clientId);
});

test('azure-managed-identity, App Service flavour (IDENTITY_ENDPOINT + IDENTITY_HEADER): get, skopeo', async () => {
  const env = { ...sb.env, ...appServiceEnv() };
  const host = 'acr-appservice.registry.test';
  const before = identity.counts.byEndpoint.appservice ?? 0;
  loginOk(
    await lanyard(['login', host, '--source', 'azure-managed-identity', ...acrArgs()], env),
    'azure-managed-identity',
    new RegExp(MANAGED.clientId),
  );
  await assertAcrAnswer(env, host, MANAGED.clientId);
  const checked = identity.counts.byEndpoint.appservice ?? 0;
  assert.is(checked, before + 1, "login's check asked the endpoint; the get answered the token it got");
  assert.is(identity.counts.byEndpoint.imds ?? 0, 0, 'not the IMDS');
  // A wrong header is refused by the endpoint: one line, nothing stored.
  const wrong = await lanyard(
    ['login', 'acr-wrong.registry.test', '--source', 'azure-managed-identity', ...acrArgs()],
    { ...env, IDENTITY_HEADER: 'not-the-header' },
  );
  assert.is(wrong.code, 1, describe(wrong));
  assert.match(wrong.stderr, /managed identity endpoint .*401/);
  assert.not.match(wrong.stderr, 'not-the-header');
  // The registry host was last the workload identity's: only this login makes it the managed identity's.
  const asked = identity.counts.byEndpoint.appservice ?? 0;
  await loginAndRoundTrip(env, ['--source', 'azure-managed-identity', ...acrArgs()], 'appservice', MANAGED.clientId);
  assert.ok((identity.counts.byEndpoint.appservice ?? 0) > asked, 'the App Service endpoint answered');
  assert.is(identity.counts.byEndpoint.imds ?? 0, 0, 'still not the IMDS');
});

test('azure-managed-identity, IMDS flavour (AZURE_POD_IDENTITY_AUTHORITY_HOST): get, kubelet, skopeo', async () => {
  const env = sb.env;
  const host = 'acr-imds.registry.test';
  loginOk(
    await lanyard(['login', host, '--source', 'azure-managed-identity', ...acrArgs()], env),
    'azure-managed-identity',
    new RegExp(MANAGED.clientId),
  );
  assert.ok((identity.counts.byEndpoint.imds ?? 0) >= 1, 'the IMDS was asked');
  await assertAcrAnswer(env, host, MANAGED.clientId);
  await assertKubeletAcr(env, host, MANAGED.clientId);
  const r = await lanyard(['login', registry.host, '--source', 'azure-managed-identity', ...acrArgs()], env);
  assert.is(r.code, 0, describe(r));
  await pushAndPull(env, 'azure-managed-identity');
});

// ---- Google application default credentials -------------------------------------------------------------

test('gcp-adc: a service-account key in GOOGLE_APPLICATION_CREDENTIALS is exchanged; kubelet, skopeo', async () => {
  const key = google.makeServiceAccountKey({ email: 'ci-pusher@lanyard-test.iam.gserviceaccount.com' });
  const keyFile = join(sb.root, 'sa-key.json');
  writeFileSync(keyFile, JSON.stringify(key), { mode: 0o600 });
  const env = { ...sb.env, GOOGLE_APPLICATION_CREDENTIALS: keyFile };
  const host = 'gcp-adc-key.registry.test';
  const grants = google.counts.byGrant['jwt-bearer'] ?? 0;
  loginOk(await lanyard(['login', host, '--source', 'gcp-adc', '--kind', 'gcp'], env), 'gcp-adc', /ci-pusher@/);
  const creds = parseCreds(await getWith(env, host), 'get');
  assert.is(creds.Username, googleFixture.ACCESS_TOKEN_USERNAME);
  assert.is(google.registryLogin(creds.Username, creds.Secret), key.client_email);
  const signed = google.counts.byGrant['jwt-bearer'] ?? 0;
  assert.is(signed, grants + 1, "login's check signed a grant; the get answered the token it got");
  const { login: kubelet } = await cloud.kubeletLogin(env, `${host}/team/app:1`, host);
  assert.ok(kubelet, 'kubelet: a login');
  assert.is(google.registryLogin(kubelet.username, kubelet.password), key.client_email, "kubelet: the key's token");
  await loginAndRoundTrip(env, ['--source', 'gcp-adc', '--kind', 'gcp'], 'gcp-adc', key.client_email);
});

test("gcp-adc: an authorized_user file in gcloud's well-known place is refreshed; skopeo", async () => {
  const user = google.makeAuthorizedUser();
  const dir = join(sb.env.CLOUDSDK_CONFIG!);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'application_default_credentials.json'), JSON.stringify(user), { mode: 0o600 });
  const host = 'gcp-adc-user.registry.test';
  const refreshes = google.counts.byGrant.refresh_token ?? 0;
  loginOk(await lanyard(['login', host, '--source', 'gcp-adc', '--kind', 'gcp'], sb.env), 'gcp-adc', /OAuth client/);
  const creds = parseCreds(await getWith(sb.env, host), 'get');
  assert.is(google.registryLogin(creds.Username, creds.Secret), `user:${user.client_id}`, 'a live token of the user');
  const used = google.counts.byGrant.refresh_token ?? 0;
  assert.is(used, refreshes + 1, "the refresh grant was used by login's check; the get answered its token");
  // The registry host was last the service account's: only this login makes it the user's.
  await loginAndRoundTrip(sb.env, ['--source', 'gcp-adc', '--kind', 'gcp'], 'gcp-adc-user', `user:${user.client_id}`);
});

test('gcp-adc: workload identity federation with impersonation; a command not allowed stores nothing', async () => {
  const audience = '//iam.googleapis.com/projects/1/locations/global/workloadIdentityPools/ci/providers/oidc';
  const target = 'federated-pusher@lanyard-test.iam.gserviceaccount.com';
  google.federation.addProvider(audience, 'oidc');
  google.federation.addServiceAccount(target, [google.federation.principal(audience, 'repo:org/app')]);
  const tokenFile = join(sb.root, 'oidc.jwt');
  writeFileSync(tokenFile, google.federation.subjectToken(audience, 'repo:org/app'), { mode: 0o600 });
  const config = (name: string, credentialSource: object) => {
    const path = join(sb.root, name);
    const file = {
      type: 'external_account',
      audience,
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: google.stsUrl,
      service_account_impersonation_url: google.iamUrl(target),
      credential_source: credentialSource,
    };
    writeFileSync(path, JSON.stringify(file), { mode: 0o600 });
    return { ...sb.env, GOOGLE_APPLICATION_CREDENTIALS: path };
  };
  const host = 'gcp-adc-wif.registry.test';
  const env = config('wif.json', { file: tokenFile });
  loginOk(await lanyard(['login', host, '--source', 'gcp-adc', '--kind', 'gcp'], env), 'gcp-adc', /federated-pusher@/);
  const creds = parseCreds(await getWith(env, host), 'get');
  assert.is(google.registryLogin(creds.Username, creds.Secret), target, 'a token of the impersonated account');

  const mappingBefore = readFileSync(sb.mappingFile, 'utf8');
  const command = config('wif-exec.json', { executable: { command: '/bin/echo never' } });
  const refused = await lanyard(
    ['login', 'gcp-adc-exec.registry.test', '--source', 'gcp-adc', '--kind', 'gcp'],
    command,
  );
  assert.is.not(refused.code, 0, describe(refused));
  const said = `${refused.stdout}${refused.stderr}`.trim();
  assert.is(said.split('\n').length, 1, `one line: ${said}`);
  assert.match(said, /GOOGLE_EXTERNAL_ACCOUNT_ALLOW_EXECUTABLES=1/);
  assert.not.match(said, /at .*\.ts:\d+|credentials not found/);
  assert.is(readFileSync(sb.mappingFile, 'utf8'), mappingBefore, 'nothing stored changed');
});

test('--source auto: workload before managed identity for Azure, the ADC file before metadata for Google', async () => {
  const auto = (host: string, env: NodeJS.ProcessEnv, kind: string, extra: string[] = []) =>
    lanyard(['login', host, '--source', 'auto', '--kind', kind, ...extra], env);
  const workload = await auto('acr-auto-wi.registry.test', workloadEnv(), 'azure-acr', ['--acr-endpoint', az.url]);
  assert.is(workload.code, 0, describe(workload));
  assert.match(workload.stderr, '--source auto (azure-workload-identity answered)');
  const managed = await auto('acr-auto-mi.registry.test', sb.env, 'azure-acr', ['--acr-endpoint', az.url]);
  assert.is(managed.code, 0, describe(managed));
  assert.match(managed.stderr, '--source auto (azure-managed-identity answered)');
  assert.match(managed.stderr, 'not used: azure-workload-identity: AZURE_FEDERATED_TOKEN_FILE not set');
  // gcloud's ADC file (written by the test before) comes before the metadata server, which is not there.
  const adc = await auto('gcp-auto.registry.test', sb.env, 'gcp');
  assert.is(adc.code, 0, describe(adc));
  assert.match(adc.stderr, '--source auto (gcp-adc answered)');
});

// ---- AWS keys from the environment and from a profile ----------------------------------------------------

/** Role credentials fetched from IMDS through the bridge's recorder, so the gate knows their session token. */
async function imdsSession(): Promise<{ AccessKeyId: string; SecretAccessKey: string; Token: string }> {
  const token = await (
    await fetch(`${imdsFront.url}/latest/api/token`, {
      method: 'PUT',
      headers: { 'X-aws-ec2-metadata-token-ttl-seconds': '300' },
    })
  ).text();
  const path = `${imdsFront.url}/latest/meta-data/iam/security-credentials/lanyard-node-role`;
  const answer = await fetch(path, { headers: { 'X-aws-ec2-metadata-token': token } });
  assert.is(answer.status, 200);
  return (await answer.json()) as { AccessKeyId: string; SecretAccessKey: string; Token: string };
}

/**
 * `get` for `host` answers an ECR password, and ECR was called with the recorded session (its token included) since
 * `accepted` (taken before the login, whose check made the call whose token the get answers).
 */
async function assertEcrAnswer(env: NodeJS.ProcessEnv, host: string, accepted: number) {
  const creds = parseCreds(await getWith(env, host), `get ${host}`);
  assert.is(creds.Username, 'AWS');
  assert.ok(aws.validateEcrPassword(creds.Secret).ok, 'an ECR password the stand-in issued');
  assert.ok(bridge.counts.accepted > accepted, `signed with the session: ${JSON.stringify(bridge.counts)}`);
  assert.equal(bridge.counts.refused, {}, 'never without or with a wrong session token');
}

test('aws-env: session keys in AWS_ACCESS_KEY_ID/SECRET/SESSION_TOKEN sign the ECR call; kubelet, skopeo', async () => {
  const session = await imdsSession();
  // The keys are the instance role's (so the bridge knows their session token): IMDS must not be asked again.
  const imdsAsked = imds.counts.total;
  const env = {
    ...sb.env,
    AWS_ACCESS_KEY_ID: session.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: session.SecretAccessKey,
    AWS_SESSION_TOKEN: session.Token,
  };
  const host = 'aws-env.registry.test';
  const accepted = bridge.counts.accepted;
  const r = await lanyard(['login', host, '--source', 'aws-env', '--kind', 'aws-ecr', '--region', REGION], env);
  loginOk(r, 'aws-env', new RegExp(`access key ${session.AccessKeyId} \\(environment\\)`));
  assert.not.match(r.stderr, session.SecretAccessKey);
  await assertEcrAnswer(env, host, accepted);
  // The registry's subject for an ECR password names the key that signed its request: the environment's.
  const ecrSubject = (login: cloud.Login) => aws.registryLogin(login.username, login.password);
  const envKey = (subject: string | null | undefined) => subject?.endsWith(`:${session.AccessKeyId}`) === true;
  const { login: kubelet } = await cloud.kubeletLogin(env, `${host}/team/app:1`, host);
  assert.ok(kubelet && envKey(ecrSubject(kubelet)), 'kubelet: an ECR password from the environment keys');
  const r2 = await lanyard(
    ['login', registry.host, '--source', 'aws-env', '--kind', 'aws-ecr', '--region', REGION],
    env,
  );
  assert.is(r2.code, 0, describe(r2));
  const seen = await cloud.subjectsPresentedDuring(presented, ecrSubject, () => pushAndPull(env, 'aws-env'));
  assert.ok(seen.length > 0 && seen.every(envKey), `the registry took logins of ${JSON.stringify(seen)}`);
  assert.is(imds.counts.total, imdsAsked, 'the answers came from the environment, never from IMDS');
});

test('aws-profile: session keys in a shared credentials file (AWS_PROFILE) sign the ECR call', async () => {
  const session = await imdsSession();
  writeFileSync(
    sb.env.AWS_SHARED_CREDENTIALS_FILE!,
    '[default]\naws_access_key_id = AKIANOTTHISONE000000\naws_secret_access_key = wrong\n\n' +
      `[ci]\naws_access_key_id = ${session.AccessKeyId}\naws_secret_access_key = ${session.SecretAccessKey}\n` +
      `aws_session_token = ${session.Token}\n`,
    { mode: 0o600 },
  );
  const env = { ...sb.env, AWS_PROFILE: 'ci' };
  const host = 'aws-profile.registry.test';
  const accepted = bridge.counts.accepted;
  const r = await lanyard(['login', host, '--source', 'aws-profile', '--kind', 'aws-ecr', '--region', REGION], env);
  loginOk(r, 'aws-profile', new RegExp(`access key ${session.AccessKeyId} \\(profile ci\\)`));
  await assertEcrAnswer(env, host, accepted);
});

test('aws-profile: a long-lived key in a credentials file (no session token, no role): kubelet, skopeo', async () => {
  writeFileSync(
    sb.env.AWS_SHARED_CREDENTIALS_FILE!,
    `[plain]\naws_access_key_id = ${KEY.accessKeyId}\naws_secret_access_key = ${KEY.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  const env = { ...sb.env, AWS_PROFILE: 'plain' };
  const args = ['--source', 'aws-profile', '--kind', 'aws-ecr', '--region', REGION];
  // Nothing else signs an ECR call with this key: an answer in its name came from the file.
  const keySubject = `aws:123456789012:${KEY.accessKeyId}`;
  const host = 'aws-profile-plain.registry.test';
  loginOk(
    await lanyard(['login', host, ...args], env),
    'aws-profile',
    new RegExp(`${KEY.accessKeyId} \\(profile plain\\)`),
  );
  const { login: kubelet } = await cloud.kubeletLogin(env, `${host}/team/app:1`, host);
  assert.is(kubelet && registrySubject(kubelet), keySubject, 'kubelet: an ECR password signed with the key');
  // The registry host was last aws-env's (the instance session's key): only this login makes it this key's.
  await loginAndRoundTrip(env, args, 'aws-profile-plain', keySubject);
});

test("aws-profile: a profile's role_arn is assumed with its source_profile's key, then ECR is asked", async () => {
  writeFileSync(sb.env.AWS_CONFIG_FILE!, `[profile pusher]\nrole_arn = ${PROFILE_ROLE}\nsource_profile = base\n`, {
    mode: 0o600,
  });
  writeFileSync(
    sb.env.AWS_SHARED_CREDENTIALS_FILE!,
    `[base]\naws_access_key_id = ${KEY.accessKeyId}\naws_secret_access_key = ${KEY.secretAccessKey}\n`,
    { mode: 0o600 },
  );
  // AssumeRole is the AWS stand-in's own STS (through the gate), not the web-identity one.
  const env = { ...sb.env, AWS_PROFILE: 'pusher', AWS_ENDPOINT_URL_STS: bridge.gate.url };
  const host = 'aws-profile-role.registry.test';
  const assumed = aws.counts.byOperation['sts:AssumeRole'] ?? 0;
  const r = await lanyard(['login', host, '--source', 'aws-profile', '--kind', 'aws-ecr', '--region', REGION], env);
  loginOk(r, 'aws-profile', new RegExp(`${PROFILE_ROLE} \\(profile pusher, via access key ${KEY.accessKeyId}`));
  const creds = parseCreds(await getWith(env, host), 'get');
  assert.ok(aws.validateEcrPassword(creds.Secret).ok, 'an ECR password the stand-in issued');
  const assumedNow = aws.counts.byOperation['sts:AssumeRole'] ?? 0;
  assert.is(assumedNow, assumed + 1, "login's check assumed the role; the get answered the token it got");
  const r2 = await lanyard(
    ['login', registry.host, '--source', 'aws-profile', '--kind', 'aws-ecr', '--region', REGION],
    env,
  );
  assert.is(r2.code, 0, describe(r2));
  await pushAndPull(env, 'aws-profile');
});

// ---- the real Docker Engine --------------------------------------------------------------------------------

test('the real Docker Engine pushes and pulls through the token registry with aws-web-identity', async () => {
  const tokenFile = join(sb.root, 'oidc-token');
  writeFileSync(tokenFile, sts.issueWebIdentityToken(CI_SUBJECT), { mode: 0o600 });
  const sourceEnv = { AWS_ROLE_ARN: WEB_ROLE, AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile };
  const env = { ...sb.env, ...sourceEnv };
  const r = await lanyard(['login', registry.host, '--source', 'aws-web-identity', '--region', REGION], env);
  loginOk(r, 'aws-web-identity', /assumed-role\/ci-push/);
  const engine = await startDockerEngine('sources');
  try {
    const docker = dockerClientEnv(sb, engine, [registry.host], sourceEnv).env;
    const before = presented.length;
    await cloud.assertEngineRoundTrip(docker, sb.dir('engine-image'), `${registry.host}/engine/tiny:1`);
    assert.ok(
      presented.slice(before).some((p) => aws.registryLogin(p.username, p.password)),
      'the registry saw an ECR password from the web-identity session',
    );
  } finally {
    const stopped = await engine.stop();
    assert.equal(stopped.leftovers, [], 'no engine process outlived it');
  }
});

test.run();
