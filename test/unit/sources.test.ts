// Every identity source against its loopback stand-in: the happy path, expiring credentials, missing or invalid
// inputs (one clear line), a metadata service that is absent or silent (fast failure), IMDSv2's token handshake,
// and `--source auto`'s order. The environment reaches the sources only through loadConfig, as in the binary.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { ServiceRefusedError, TransportError, UserError } from '../../src/errors.js';
import { foreignText } from '../../src/foreign-text.js';
import { awsFromEnvironment } from '../../src/clouds/aws/credential.js';
import { awsInstanceRole } from '../../src/clouds/aws/instance-role.js';
import { awsFromProfile } from '../../src/clouds/aws/profile-source.js';
import { awsWebIdentity } from '../../src/clouds/aws/web-identity.js';
import { azureManagedIdentity, azureWorkloadIdentity } from '../../src/clouds/azure/sources.js';
import { googleApplicationDefault, googleMetadata } from '../../src/clouds/gcp/sources.js';
import { ibmTrustedProfile, ibmVpcInstance } from '../../src/clouds/ibm/sources.js';
import type { SourceContext } from '../../src/clouds/cloud.js';
import { credentialFromAuto } from '../../src/clouds/sources.js';
import { startImds, startStsWebIdentity, type ImdsHandle, type WebIdentityHandle } from '../fixtures/aws-identity.js';
import { startAzureIdentity, type AzureIdentityHandle } from '../fixtures/azure-identity.js';
import { startGceMetadata, type GceHandle } from '../fixtures/gce-metadata.js';
import { startIbmIdentity, type IbmIdentityHandle } from '../fixtures/ibm-identity.js';
import { listen, makeTempDir, removeDir } from '../fixtures/support.js';
import { failure } from './support/failure.js';

const HOME = '/home/nobody-lanyard';
const identity = (env: Record<string, string>) => loadConfig({ HOME, ...env }, 'linux').identity;
const ROLE = 'arn:aws:iam::210987654321:role/ci-push';

/** A loopback port with nothing listening: a metadata service that is not there. */
async function closedPort(): Promise<string> {
  const server = await listen(() => undefined);
  await server.stop();
  return server.url;
}

let dir = '';
const tokenFile = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, `${text}\n`);
  return path;
};

// ---- AWS ----------------------------------------------------------------------------------------------------
const aws = suite('aws');
let imds: ImdsHandle;
let sts: WebIdentityHandle;
aws.before(async () => {
  dir = makeTempDir('sources');
  imds = await startImds();
  sts = await startStsWebIdentity({ roles: { [ROLE]: ['repo:acme/app:ref:refs/heads/main'] } });
});
aws.after(async () => {
  await imds.stop();
  await sts.stop();
});
aws.before.each(() => {
  imds.resetCounts();
  imds.faults.reset();
  imds.setRole('lanyard-node-role');
  imds.setCredentialLifetime(6 * 3600);
});

aws('environment keys, with the session token; a key id without its secret is one line', async () => {
  const env = {
    AWS_ACCESS_KEY_ID: 'ASIAENVKEY0000000001',
    AWS_SECRET_ACCESS_KEY: 's3cr3t/env',
    AWS_SESSION_TOKEN: 'tok',
  };
  const credential = awsFromEnvironment(identity(env).aws);
  assert.equal([credential.accessKeyId, credential.secretAccessKey, credential.sessionToken], Object.values(env));
  assert.match(foreignText(`leak ${credential.secretAccessKey}`), /\[redacted\]/, 'the secret is registered');
  await failure(
    (async () => awsFromEnvironment(identity({ AWS_ACCESS_KEY_ID: 'AKIA1' }).aws))(),
    UserError,
    /AWS_SECRET_ACCESS_KEY is not set/,
  );
});

aws('IMDSv2: token first, then the role and its credentials, with their expiry', async () => {
  const credential = await awsInstanceRole(identity(imds.env()).aws);
  const served = imds.current();
  assert.is(credential.accessKeyId, served.AccessKeyId);
  assert.is(credential.sessionToken, served.Token);
  assert.is(credential.expiresAt, Date.parse(served.Expiration));
  assert.is(credential.identity, 'instance role lanyard-node-role');
  assert.equal([imds.counts.tokens, imds.counts.unauthorized], [1, 0], 'every GET carried the session token');
  assert.equal(imds.counts.byPath['PUT /latest/api/token'], 1);
});

aws('the IMDS stand-in refuses a GET without a valid session token (401), as IMDSv2 does', async () => {
  const url = `${imds.url}/latest/meta-data/iam/security-credentials/`;
  assert.is((await fetch(url)).status, 401);
  assert.is((await fetch(url, { headers: { 'X-aws-ec2-metadata-token': 'forged' } })).status, 401);
  assert.is(imds.counts.unauthorized, 2);
});

aws(
  'rotating credentials: new keys after a rotation; a credential about to expire is refused, not served',
  async () => {
    const first = await awsInstanceRole(identity(imds.env()).aws);
    imds.setCredentialLifetime(3600); // IMDS rotated the role's keys
    const second = await awsInstanceRole(identity(imds.env()).aws);
    assert.is.not(second.accessKeyId, first.accessKeyId);
    imds.setCredentialLifetime(2);
    const error = await failure(awsInstanceRole(identity(imds.env()).aws), ServiceRefusedError, /lifetime of [0-2] s/);
    assert.is(error.permanent, false, 'asked again later');
  },
);

aws('no instance role: one line saying so, permanent', async () => {
  imds.setRole(null);
  const error = await failure(awsInstanceRole(identity(imds.env()).aws), ServiceRefusedError, /no instance role/);
  assert.ok(error.permanent);
});

aws('IMDS absent or silent: a fast TransportError naming the service; disabled: not asked at all', async () => {
  const started = Date.now();
  await failure(
    awsInstanceRole(identity({ AWS_EC2_METADATA_SERVICE_ENDPOINT: await closedPort() }).aws),
    TransportError,
    /EC2 instance metadata service .* did not answer.*hop limit/,
  );
  imds.faults.hang();
  await failure(awsInstanceRole(identity(imds.env()).aws), TransportError, /within 1 s/);
  assert.ok(Date.now() - started < 2500, `${Date.now() - started} ms`);
  imds.faults.reset();
  const env = { ...imds.env(), AWS_EC2_METADATA_DISABLED: 'true' };
  await failure(awsInstanceRole(identity(env).aws), UserError, /AWS_EC2_METADATA_DISABLED/);
});

aws('IMDS answering 500 or garbage: a transient refusal, not a crash', async () => {
  imds.faults.fail(1, 500);
  assert.not.ok((await failure(awsInstanceRole(identity(imds.env()).aws), ServiceRefusedError, /500/)).permanent);
  imds.faults.malformed(1);
  await failure(awsInstanceRole(identity(imds.env()).aws), ServiceRefusedError, /unusable|401|token/);
});

const webIdentity = (token: string, extra: Record<string, string> = {}) => ({
  roleArn: ROLE,
  tokenFile: tokenFile('web-identity', token),
  stsEndpoint: sts.url,
  ...extra,
});

aws('web identity: the OIDC token file becomes role credentials (unsigned AssumeRoleWithWebIdentity)', async () => {
  const token = sts.issueWebIdentityToken('repo:acme/app:ref:refs/heads/main');
  const credential = await awsWebIdentity(webIdentity(token, { sessionName: 'ci-run-7' }));
  assert.ok(sts.validateSession(credential.accessKeyId, credential.secretAccessKey, credential.sessionToken!));
  assert.is(credential.identity, 'arn:aws:sts::210987654321:assumed-role/ci-push/ci-run-7');
  assert.ok(Math.abs(credential.expiresAt! - (Date.now() + 3600_000)) < 5000);
  assert.match(foreignText(credential.sessionToken!), /\[redacted\]/);
});

aws("web identity refusals name STS's code and what to do; a missing file is one line", async () => {
  const untrusted = sts.issueWebIdentityToken('repo:evil/app:ref:refs/heads/main');
  const denied = await failure(
    awsWebIdentity(webIdentity(untrusted)),
    ServiceRefusedError,
    /AccessDenied.*trust policy/,
  );
  assert.ok(denied.permanent);
  const wrongAudience = sts.issueWebIdentityToken('repo:acme/app:ref:refs/heads/main', { aud: 'other' });
  await failure(awsWebIdentity(webIdentity(wrongAudience)), ServiceRefusedError, /InvalidIdentityToken/);
  const expired = sts.issueWebIdentityToken('repo:acme/app:ref:refs/heads/main', { exp: 1 });
  const stale = await failure(awsWebIdentity(webIdentity(expired)), ServiceRefusedError, /ExpiredTokenException/);
  assert.not.ok(stale.permanent, 'the platform rewrites the file: worth asking again');
  await failure(
    awsWebIdentity({ roleArn: ROLE, tokenFile: join(dir, 'absent'), stsEndpoint: sts.url }),
    UserError,
    /cannot read the web identity token file .*AWS_WEB_IDENTITY_TOKEN_FILE.*no such file/,
  );
  await failure(awsWebIdentity({ ...webIdentity('x'), roleArn: 'ci-push' }), UserError, /not a role ARN/);
});

aws(
  'shared-config profiles: keys, a role over a source profile, web identity; credential_process refused',
  async () => {
    const files = { credentials: join(dir, 'credentials'), config: join(dir, 'config') };
    writeFileSync(
      files.credentials,
      '[base]\naws_access_key_id = AKIABASE000000000001\naws_secret_access_key = b/se\n',
    );
    const ciToken = tokenFile('profile-token', sts.issueWebIdentityToken('repo:acme/app:ref:refs/heads/main'));
    writeFileSync(
      files.config,
      `[profile pull]\nrole_arn = ${ROLE}\nsource_profile = base\nexternal_id = ext-1\n` +
        `[profile ci]\nrole_arn = ${ROLE}\nweb_identity_token_file = ${ciToken}\n` +
        '[profile tool]\ncredential_process = /usr/bin/get-keys\n',
    );
    const keys = await awsFromProfile(identity({ AWS_PROFILE: 'base' }).aws, files);
    assert.equal([keys.accessKeyId, keys.assumeRole], ['AKIABASE000000000001', undefined]);
    const role = await awsFromProfile(identity({ AWS_PROFILE: 'pull' }).aws, files);
    assert.equal(role.assumeRole, { roleArn: ROLE, externalId: 'ext-1' });
    assert.is(role.secretAccessKey, 'b/se');
    const web = await awsFromProfile(identity({ AWS_PROFILE: 'ci' }).aws, files, { stsEndpoint: sts.url });
    assert.ok(sts.validateSession(web.accessKeyId, web.secretAccessKey, web.sessionToken!));
    await failure(awsFromProfile(identity({ AWS_PROFILE: 'tool' }).aws, files), UserError, /credential_process/);
    await failure(awsFromProfile(identity({ AWS_PROFILE: 'nope' }).aws, files), UserError, /no AWS profile "nope"/);
  },
);

aws('auto: environment first, then web identity; a configured source that fails stops auto', async () => {
  const context = (env: Record<string, string>): SourceContext => ({
    config: loadConfig({ HOME, ...env, AWS_ENDPOINT_URL_STS: sts.url }, 'linux'),
    options: {},
  });
  const webEnv = {
    AWS_ROLE_ARN: ROLE,
    AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile(
      'auto-token',
      sts.issueWebIdentityToken('repo:acme/app:ref:refs/heads/main'),
    ),
    ...imds.env(),
  };
  const keys = { AWS_ACCESS_KEY_ID: 'AKIAAUTO000000000001', AWS_SECRET_ACCESS_KEY: 'x/y' };
  assert.is((await credentialFromAuto('aws', context({ ...keys, ...webEnv }))).name, 'aws-env');
  assert.is((await credentialFromAuto('aws', context(webEnv))).name, 'aws-web-identity');
  assert.is((await credentialFromAuto('aws', context(imds.env()))).name, 'aws-instance');
  const broken = { ...webEnv, AWS_WEB_IDENTITY_TOKEN_FILE: join(dir, 'absent') };
  await failure(credentialFromAuto('aws', context(broken)), UserError, /web identity token file/);
  assert.is(imds.counts.tokens, 1, 'IMDS was not asked after web identity failed');
  const nothing = context({ AWS_EC2_METADATA_SERVICE_ENDPOINT: await closedPort() });
  await failure(
    credentialFromAuto('aws', nothing),
    UserError,
    /no aws identity found here \(aws-env: .*aws-instance: /,
  );
});

// ---- Google -------------------------------------------------------------------------------------------------
const google = suite('google');
let gce: GceHandle;
google.before(async () => {
  gce = await startGceMetadata();
});
google.after(() => gce.stop());

google("metadata server: the default service account's token, expiry and e-mail", async () => {
  const credential = await googleMetadata(identity({ GCE_METADATA_HOST: gce.host }).google);
  assert.is(credential.kind, 'access-token');
  if (credential.kind !== 'access-token') return;
  assert.ok(gce.validateToken(credential.accessToken));
  assert.is(credential.identity, 'node-sa@lanyard-test.iam.gserviceaccount.com');
  assert.ok(Math.abs(credential.expiresAt - (Date.now() + 3599_000)) < 5000);
  assert.is(gce.counts.refused, 0, 'every request carried Metadata-Flavor: Google');
  assert.is((await fetch(`${gce.url}/computeMetadata/v1/instance/service-accounts/default/token`)).status, 403);
});

google('metadata server refusals: no service account, no Metadata-Flavor answer, absent, short-lived', async () => {
  const none = await startGceMetadata({ email: null });
  const impostor = await startGceMetadata({ omitFlavorHeader: true });
  try {
    await failure(googleMetadata(identity({ GCE_METADATA_HOST: none.host }).google), ServiceRefusedError, /404.*none/);
    await failure(
      googleMetadata(identity({ GCE_METADATA_HOST: impostor.host }).google),
      ServiceRefusedError,
      /not a metadata server/,
    );
  } finally {
    await none.stop();
    await impostor.stop();
  }
  const host = (await closedPort()).replace('http://', '');
  await failure(googleMetadata(identity({ GCE_METADATA_HOST: host }).google), TransportError, /Google metadata server/);
  gce.setTokenLifetime(3);
  await failure(googleMetadata(identity({ GCE_METADATA_HOST: gce.host }).google), ServiceRefusedError, /lifetime/);
  gce.setTokenLifetime(3599);
});

google('auto: the metadata server answers when no ADC file exists, and says why ADC was passed over', async () => {
  const env = { GCE_METADATA_HOST: gce.host, CLOUDSDK_CONFIG: join(dir, 'no-gcloud') };
  const found = await credentialFromAuto('gcp', { config: loadConfig({ HOME, ...env }, 'linux'), options: {} });
  assert.is(found.name, 'gcp-metadata');
  assert.equal(found.passedOver, ['gcp-adc: no ADC file']);
});

google("ADC files: GOOGLE_APPLICATION_CREDENTIALS, then gcloud's file; a malformed file in one line", () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyFile = JSON.stringify({
    type: 'service_account',
    client_email: 'ci@p.iam.gserviceaccount.com',
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  });
  const path = tokenFile('sa.json', keyFile);
  const fromEnv = googleApplicationDefault(identity({ GOOGLE_APPLICATION_CREDENTIALS: path }).google);
  assert.equal([fromEnv.kind, fromEnv.identity], ['key-file', 'ci@p.iam.gserviceaccount.com']);
  const gcloud = join(dir, 'gcloud');
  mkdirSync(gcloud, { recursive: true });
  const user = {
    type: 'authorized_user',
    client_id: 'c',
    client_secret: 'cs',
    refresh_token: 'rt',
    account: 'me@x.io',
  };
  writeFileSync(join(gcloud, 'application_default_credentials.json'), JSON.stringify(user));
  const wellKnown = googleApplicationDefault(identity({ CLOUDSDK_CONFIG: gcloud }).google);
  assert.equal([wellKnown.kind, wellKnown.identity], ['key-file', 'me@x.io']);
  assert.throws(
    () =>
      googleApplicationDefault(
        identity({ GOOGLE_APPLICATION_CREDENTIALS: tokenFile('wif.json', '{"type":"external_account"}') }).google,
      ),
    /wif\.json \(GOOGLE_APPLICATION_CREDENTIALS\): audience is missing/,
  );
  assert.throws(
    () => googleApplicationDefault(identity({ CLOUDSDK_CONFIG: join(dir, 'none') }).google),
    /does not exist/,
  );
});

// ---- Azure --------------------------------------------------------------------------------------------------
const azure = suite('azure');
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '5a1b2c3d-0000-4000-8000-00000000c11e';
const ISSUER = 'https://eastus.oic.prod-aks.azure.com/tenant/cluster/';
const SUBJECT = 'system:serviceaccount:ci:pusher';
let az: AzureIdentityHandle;
azure.before(async () => {
  az = await startAzureIdentity({
    federated: [{ tenant: TENANT, clientId: CLIENT, issuer: ISSUER, subject: SUBJECT }],
  });
});
azure.after(() => az.stop());
const workloadEnv = (token: string) => ({
  AZURE_FEDERATED_TOKEN_FILE: tokenFile('azure-token', token),
  AZURE_CLIENT_ID: CLIENT,
  AZURE_TENANT_ID: TENANT,
});

azure('workload identity: the federated token becomes an Entra token for ACR, with its tenant', async () => {
  const credential = await azureWorkloadIdentity(identity(workloadEnv(az.issueFederatedToken(ISSUER, SUBJECT))).azure, {
    authorityHost: az.url,
  });
  const claims = az.validateToken(credential.accessToken);
  assert.equal(
    [claims?.aud, credential.tenant, credential.identity],
    ['https://containerregistry.azure.net', TENANT, CLIENT],
  );
  assert.ok(Math.abs(credential.expiresAt - (Date.now() + 3599_000)) < 5000);
});

azure("workload identity refusals: Entra's AADSTS code and meaning; missing variables in one line", async () => {
  const wrongSubject = identity(workloadEnv(az.issueFederatedToken(ISSUER, 'system:serviceaccount:ci:other'))).azure;
  const error = await failure(
    azureWorkloadIdentity(wrongSubject, { authorityHost: az.url }),
    ServiceRefusedError,
    /AADSTS70021: No matching federated identity record.*issuer, subject and audience/,
  );
  assert.ok(error.permanent);
  const expired = identity(workloadEnv(az.issueFederatedToken(ISSUER, SUBJECT, { exp: 1 }))).azure;
  const stale = await failure(azureWorkloadIdentity(expired, { authorityHost: az.url }), ServiceRefusedError, /700024/);
  assert.not.ok(stale.permanent);
  await failure(
    azureWorkloadIdentity(identity({ AZURE_CLIENT_ID: CLIENT }).azure),
    UserError,
    /AZURE_FEDERATED_TOKEN_FILE, AZURE_TENANT_ID not set/,
  );
});

azure('managed identity: App Service flavour (X-IDENTITY-HEADER), IMDS flavour (Metadata: true), none', async () => {
  const appService = identity({ IDENTITY_ENDPOINT: `${az.url}/msi/token`, IDENTITY_HEADER: az.identityHeader }).azure;
  const fromAppService = await azureManagedIdentity(appService);
  assert.is(az.validateToken(fromAppService.accessToken)?.aud, 'https://containerregistry.azure.net');
  const fromImds = await azureManagedIdentity(identity({ AZURE_POD_IDENTITY_AUTHORITY_HOST: az.url }).azure);
  assert.ok(az.validateToken(fromImds.accessToken));
  assert.equal(az.counts.byEndpoint, { entra: 3, appservice: 1, imds: 1 });
  await failure(
    azureManagedIdentity(identity({ AZURE_POD_IDENTITY_AUTHORITY_HOST: az.url }).azure, { clientId: 'not-assigned' }),
    ServiceRefusedError,
    /Identity not found: no managed identity with client id not-assigned/,
  );
  const badHeader = identity({ IDENTITY_ENDPOINT: `${az.url}/msi/token`, IDENTITY_HEADER: 'wrong' }).azure;
  await failure(azureManagedIdentity(badHeader), ServiceRefusedError, /answered 401/);
  await failure(
    azureManagedIdentity(identity({ AZURE_POD_IDENTITY_AUTHORITY_HOST: await closedPort() }).azure),
    TransportError,
    /Azure instance metadata service .* did not answer/,
  );
});

// ---- IBM Cloud ----------------------------------------------------------------------------------------------
const ibm = suite('ibm');
const PROFILE = {
  id: 'Profile-8dd84246-7df4-4667-94e4-8cede51d5ac5',
  name: 'icr-pull',
  crn: 'crn:v1:bluemix:public:iam-identity::a/1::profile:Profile-8dd8',
  trusts: ['system:serviceaccount:ci:pusher'],
};
const OTHER = { id: 'Profile-0000', name: 'other', crn: 'crn:v1:other', trusts: ['*'] };
let ibmFixture: IbmIdentityHandle;
ibm.before(async () => {
  ibmFixture = await startIbmIdentity({ profiles: [PROFILE, OTHER] });
});
ibm.after(() => ibmFixture.stop());
const crEnv = (token: string) => ({ LANYARD_IBM_CR_TOKEN_FILE: tokenFile('cr-token', token) });

ibm('trusted profile by id and by name: the compute-resource token becomes an IAM token', async () => {
  const config = identity(crEnv(ibmFixture.issueCrToken(SUBJECT))).ibm;
  const byId = await ibmTrustedProfile(config, { profileId: PROFILE.id, iamEndpoint: ibmFixture.url });
  assert.is(ibmFixture.validateToken(byId.accessToken), PROFILE.id);
  assert.is(byId.identity, 'icr-pull');
  const byName = await ibmTrustedProfile(config, { profileName: 'icr-pull', iamEndpoint: ibmFixture.url });
  assert.is(ibmFixture.validateToken(byName.accessToken), PROFILE.id);
});

ibm("trusted profile refusals: IAM's code, no profile named, no token file", async () => {
  const untrusted = identity(crEnv(ibmFixture.issueCrToken('system:serviceaccount:ci:other'))).ibm;
  const error = await failure(
    ibmTrustedProfile(untrusted, { profileId: PROFILE.id, iamEndpoint: ibmFixture.url }),
    ServiceRefusedError,
    /BXNIM0513E .*trust conditions/,
  );
  assert.ok(error.permanent);
  await failure(ibmTrustedProfile(untrusted, { iamEndpoint: ibmFixture.url }), UserError, /name the profile/);
  const missing = identity({ LANYARD_IBM_CR_TOKEN_FILE: join(dir, 'absent') }).ibm;
  await failure(ibmTrustedProfile(missing, { profileId: PROFILE.id }), UserError, /compute-resource token file/);
});

ibm('VPC instance identity: the linked profile by default, another by CRN; a disabled service fails fast', async () => {
  const config = identity({ LANYARD_IBM_METADATA_ENDPOINT: ibmFixture.url }).ibm;
  assert.is(ibmFixture.validateToken((await ibmVpcInstance(config)).accessToken), PROFILE.id);
  const byCrn = await ibmVpcInstance(config, { profileCrn: OTHER.crn });
  assert.is(ibmFixture.validateToken(byCrn.accessToken), OTHER.id);
  const silent = await startIbmIdentity({ profiles: [PROFILE], metadataEnabled: false });
  const started = Date.now();
  try {
    await failure(
      ibmVpcInstance(identity({ LANYARD_IBM_METADATA_ENDPOINT: silent.url }).ibm),
      TransportError,
      /VPC metadata service .* within 1 s .*not enabled/,
    );
  } finally {
    await silent.stop();
  }
  assert.ok(Date.now() - started < 2000);
});

aws.run();
google.run();
azure.run();
ibm.run();
process.on('exit', () => removeDir(dir));
