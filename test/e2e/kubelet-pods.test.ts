// Kubelet mode as the pulling pod (Kubernetes 1.34 `tokenAttributes`), end to end with the compiled binary's
// `kubelet` verb: a CredentialProviderRequest carries the pod's service-account token and annotations, and each
// cloud's stand-in proves the principal it issued for — the pod's role (AWS STS web identity), its federated
// principal or GKE service account (Google STS, IAM Credentials), its Entra app (federated assertion, then ACR), its
// trusted profile (IBM IAM's cr-token grant). Two service accounts get different credentials; a pod without the
// annotation gets an empty answer and one line on stderr, never the node's credentials, though the node's identity
// is there (a request without a token gets it). Every service is a loopback stand-in.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as awsFixture from '../fixtures/aws.js';
import { startStsWebIdentity, type WebIdentityHandle } from '../fixtures/aws-identity.js';
import { startSessionBridge, type SessionBridge } from '../fixtures/aws-session-bridge.js';
import * as azureFixture from '../fixtures/azure.js';
import { startAzureIdentity, type AzureIdentityHandle } from '../fixtures/azure-identity.js';
import * as googleFixture from '../fixtures/google.js';
import { startIbmIdentity, type IbmIdentityHandle } from '../fixtures/ibm-identity.js';
import type { Served } from '../fixtures/support.js';
import { fileStoreSandbox } from './support/exchange-env.js';
import { runHelper } from './support/helper.js';
import { setUp, stopAll } from './support/lifecycle.js';
import { describe, type RunResult } from './support/run.js';
import type { Sandbox } from './support/sandbox.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const APP = 'system:serviceaccount:team:app';
const OTHER = 'system:serviceaccount:team:other';

const NODE_KEY = { accessKeyId: 'AKIAKUBELETNODE00001', secretAccessKey: 'kubelet-pods-node-secret' };
const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const APP_ROLE = 'arn:aws:iam::123456789012:role/team-app-pull';
const OTHER_ROLE = 'arn:aws:iam::123456789012:role/team-other-pull';

const GAR = 'us-docker.pkg.dev';
const POOL_PROVIDER = 'projects/123/locations/global/workloadIdentityPools/cluster/providers/k8s';
const AUDIENCE = `//iam.googleapis.com/${POOL_PROVIDER}`;
const APP_GSA = 'team-app@project.iam.gserviceaccount.com';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const ISSUER = 'https://oidc.cluster.test';
const APP_CLIENT = '11111111-0000-4000-8000-00000000a991';
const OTHER_CLIENT = '11111111-0000-4000-8000-00000000b991';

const ICR = 'us.icr.io';
const APP_PROFILE = {
  id: 'Profile-pod-app',
  name: 'team-app',
  crn: 'crn:v1:bluemix:public:iam::a/1::profile:app',
  trusts: [APP],
};
const OTHER_PROFILE = { id: 'Profile-pod-other', name: 'team-other', crn: 'crn:v1:other', trusts: [OTHER] };
const NODE_PROFILE = { id: 'Profile-node', name: 'node', crn: 'crn:v1:node', trusts: ['system:node'] };

let sb: Sandbox | undefined;
let ecr: awsFixture.AwsHandle | undefined;
let sts: WebIdentityHandle | undefined;
let bridge: SessionBridge | undefined;
let stsFront: Served | undefined;
let google: googleFixture.GoogleHandle | undefined;
let idp: AzureIdentityHandle | undefined;
let acr: azureFixture.AzureHandle | undefined;
let iam: IbmIdentityHandle | undefined;
let acrHost = '';

test.before(() =>
  setUp('kubelet-pods', async () => {
    sb = fileStoreSandbox('kubelet-pods');
    ecr = await awsFixture.start({ keys: [NODE_KEY] });
    sts = await startStsWebIdentity({ roles: { [APP_ROLE]: [APP], [OTHER_ROLE]: [OTHER] } });
    bridge = await startSessionBridge(ecr);
    stsFront = await bridge.recorder(sts);
    google = await googleFixture.start();
    google.federation.addProvider(AUDIENCE, 'oidc');
    google.federation.addServiceAccount(APP_GSA, [google.federation.principal(AUDIENCE, APP)]);
    idp = await startAzureIdentity({
      federated: [
        { tenant: TENANT, clientId: APP_CLIENT, issuer: ISSUER, subject: APP },
        { tenant: TENANT, clientId: OTHER_CLIENT, issuer: ISSUER, subject: OTHER },
      ],
    });
    acr = await azureFixture.start({ clients: [], trustEntraToken: (token) => idp!.validateToken(token) });
    acrHost = new URL(acr.url).host;
    iam = await startIbmIdentity({ profiles: [APP_PROFILE, OTHER_PROFILE, NODE_PROFILE] });
    const nodeToken = join(sb.root, 'node-cr-token');
    writeFileSync(nodeToken, iam.issueCrToken('system:node'), { mode: 0o600 });
    Object.assign(sb.env, {
      // The node's own identities: environment keys for AWS, a compute-resource token for IBM.
      AWS_ACCESS_KEY_ID: NODE_KEY.accessKeyId,
      AWS_SECRET_ACCESS_KEY: NODE_KEY.secretAccessKey,
      AWS_ENDPOINT_URL_STS: stsFront.url,
      AWS_ENDPOINT_URL_ECR: bridge.gate.url,
      LANYARD_GOOGLE_STS_URL: google.stsUrl,
      LANYARD_GOOGLE_IAM_CREDENTIALS_ENDPOINT: google.url,
      AZURE_AUTHORITY_HOST: idp.url,
      AZURE_TENANT_ID: TENANT,
      LANYARD_IBM_CR_TOKEN_FILE: nodeToken,
    });
    // The node's logins, mapped as `login --source` leaves them (what a pod's own identity stands in for).
    const entry = (server: string, kind: string, source: string, options: Record<string, string> = {}) => ({
      server,
      serverURL: server,
      kind,
      username: 'node',
      source,
      options,
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    const entries = [
      entry(ECR, 'aws-ecr', 'aws-env'),
      entry(GAR, 'gcp', 'gcp-metadata'),
      entry(acrHost, 'azure-acr', 'azure-managed-identity', { acrEndpoint: acr.url }),
      entry(ICR, 'ibm-iam', 'ibm-trusted-profile', { trustedProfile: NODE_PROFILE.id, iamEndpoint: iam.url }),
    ];
    mkdirSync(dirname(sb.mappingFile), { recursive: true, mode: 0o700 });
    writeFileSync(sb.mappingFile, JSON.stringify({ version: 1, entries }), { mode: 0o600 });
  }),
);

test.after(() =>
  stopAll('kubelet-pods', [
    ['stsFront', () => stsFront?.stop()],
    ['bridge', () => bridge?.stop()],
    ['sts', () => sts?.stop()],
    ['ecr', () => ecr?.stop()],
    ['google', () => google?.stop()],
    ['acr', () => acr?.stop()],
    ['idp', () => idp?.stop()],
    ['iam', () => iam?.stop()],
    ['sandbox', () => sb?.cleanup()],
  ]),
);

interface Answer {
  run: RunResult;
  response: {
    cacheKeyType: string;
    cacheDuration: string;
    auth: Record<string, { username: string; password: string }>;
  };
}

/** The binary's `kubelet` verb asked for `image`, as the pod with `token` and `annotations` when given. */
async function kubelet(image: string, token?: string, annotations?: Record<string, string>): Promise<Answer> {
  const stdin = JSON.stringify({
    apiVersion: V1,
    kind: 'CredentialProviderRequest',
    image,
    ...(token ? { serviceAccountToken: token, serviceAccountAnnotations: annotations ?? {} } : {}),
  });
  const run = await runHelper(['kubelet'], { env: sb!.env, stdin, timeoutMs: 30_000 });
  assert.is(run.code, 0, `kubelet ${image}\n${describe(run)}`);
  return { run, response: JSON.parse(run.stdout) as Answer['response'] };
}

/** The one password of an answer, keyed by `host`, cached per image for at most 5 minutes (a pod's own). */
function podPassword({ response, run }: Answer, host: string, username: string): string {
  assert.equal(Object.keys(response.auth), [host], describe(run));
  assert.is(response.auth[host]!.username, username);
  assert.is(response.cacheKeyType, 'Image', 'never shared with another image (or pod) by the kubelet');
  assert.ok(Number.parseInt(response.cacheDuration, 10) <= 300, response.cacheDuration);
  return response.auth[host]!.password;
}

/** No credentials at all, and one line on stderr naming the annotation (the kubelet logs it). */
function assertNothing({ response, run }: Answer, annotation: string, token: string): void {
  assert.equal(response.auth, {}, `no credentials, not the node's\n${describe(run)}`);
  assert.ok(/^[^\n]+\n$/.test(run.stderr), `one line\n${describe(run)}`);
  assert.match(run.stderr, `the pod's service account has no annotation ${annotation}`);
  assert.not.ok(run.stderr.includes(token), 'the token is never shown');
}

test('AWS: each pod signs ECR as the role of its eks.amazonaws.com/role-arn; none, nothing', async () => {
  const image = `${ECR}/team/app:1`;
  const principal = (password: string) => {
    const check = ecr!.validateEcrPassword(password);
    return check.ok ? sts!.sessionRole(check.accessKeyId) : undefined;
  };
  const appToken = sts!.issueWebIdentityToken(APP);
  const app = podPassword(await kubelet(image, appToken, { 'eks.amazonaws.com/role-arn': APP_ROLE }), ECR, 'AWS');
  assert.is(principal(app), APP_ROLE, "signed with the app pod's role session");
  const otherToken = sts!.issueWebIdentityToken(OTHER);
  const other = podPassword(await kubelet(image, otherToken, { 'eks.amazonaws.com/role-arn': OTHER_ROLE }), ECR, 'AWS');
  assert.is(principal(other), OTHER_ROLE, "signed with the other pod's role session");
  assert.is.not(other, app);
  assertNothing(await kubelet(image, appToken, {}), 'eks.amazonaws.com/role-arn', appToken);
  // The node's identity is there: a request without a pod token gets it.
  const node = (await kubelet(image)).response.auth[ECR]!.password;
  const check = ecr!.validateEcrPassword(node);
  assert.ok(check.ok && check.accessKeyId === NODE_KEY.accessKeyId, "the node's key, for the node's own pulls");
});

test('Google: the pool provider takes the pod token; its GKE service account is impersonated', async () => {
  const image = `${GAR}/project/repo/app:1`;
  const provider = { 'iam.gke.io/workload-identity-pool-provider': POOL_PROVIDER };
  const subject = (password: string) => {
    const check = google!.validateToken(password);
    return check.ok ? check.subject : undefined;
  };
  const appToken = google!.federation.subjectToken(AUDIENCE, APP);
  const impersonated = podPassword(
    await kubelet(image, appToken, { ...provider, 'iam.gke.io/gcp-service-account': APP_GSA }),
    GAR,
    'oauth2accesstoken',
  );
  assert.is(subject(impersonated), APP_GSA, "the GKE service account's token");
  const otherToken = google!.federation.subjectToken(AUDIENCE, OTHER);
  const federated = podPassword(await kubelet(image, otherToken, provider), GAR, 'oauth2accesstoken');
  assert.is(subject(federated), google!.federation.principal(AUDIENCE, OTHER), "the other pod's own principal");
  assertNothing(
    await kubelet(image, appToken, { 'iam.gke.io/gcp-service-account': APP_GSA }),
    'iam.gke.io/workload-identity-pool-provider',
    appToken,
  );
});

test('Azure: each pod signs in as the Entra app of its azure.workload.identity/client-id', async () => {
  const image = `${acrHost}/team/app:1`;
  const subject = (password: string) => {
    const check = acr!.validateRefreshToken(password);
    return check.ok ? check.subject : undefined;
  };
  const appToken = idp!.issueFederatedToken(ISSUER, APP);
  const clientId = (id: string) => ({ 'azure.workload.identity/client-id': id });
  const user = azureFixture.ACR_REFRESH_USERNAME;
  const app = podPassword(await kubelet(image, appToken, clientId(APP_CLIENT)), acrHost, user);
  assert.is(subject(app), APP_CLIENT, "an ACR refresh token for the app pod's Entra app");
  const otherToken = idp!.issueFederatedToken(ISSUER, OTHER);
  const other = podPassword(await kubelet(image, otherToken, clientId(OTHER_CLIENT)), acrHost, user);
  assert.is(subject(other), OTHER_CLIENT, "the other pod's app");
  assertNothing(await kubelet(image, appToken, {}), 'azure.workload.identity/client-id', appToken);
});

test('IBM Cloud: the pod token is a compute-resource token for its trusted profile (id, CRN or name)', async () => {
  const image = `${ICR}/team/app:1`;
  const profile = (named: string) => ({ 'iam.cloud.ibm.com/trusted-profile': named });
  const appToken = iam!.issueCrToken(APP);
  for (const named of [APP_PROFILE.id, APP_PROFILE.crn, APP_PROFILE.name]) {
    const app = podPassword(await kubelet(image, appToken, profile(named)), ICR, 'iambearer');
    assert.is(iam!.validateToken(app), APP_PROFILE.id, `the app profile's token (${named})`);
  }
  const otherToken = iam!.issueCrToken(OTHER);
  const other = podPassword(await kubelet(image, otherToken, profile(OTHER_PROFILE.name)), ICR, 'iambearer');
  assert.is(iam!.validateToken(other), OTHER_PROFILE.id, "the other pod's profile");
  assertNothing(await kubelet(image, appToken, {}), 'iam.cloud.ibm.com/trusted-profile', appToken);
  const node = (await kubelet(image)).response.auth[ICR]!.password;
  assert.is(iam!.validateToken(node), NODE_PROFILE.id, "the node's profile, for the node's own pulls");
});

test.run();
