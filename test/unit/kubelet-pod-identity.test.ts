// Kubelet mode with tokenAttributes (Kubernetes 1.34): a request that carries the pulling pod's service-account
// token is answered as the pod, through its cloud's stand-in, never as the entry's (the node's) identity; a pod
// whose service account lacks the annotation gets no credentials and one line on stderr; nothing a pod gets is
// kept in the token cache for another pod. Every service is a loopback stand-in.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ServiceRefusedError, UserError } from '../../src/errors.js';
import { answerKubelet, type ProviderResponse } from '../../src/integrations/kubelet-provider.js';
import type { MappingEntry } from '../../src/mapping/types.js';
import * as awsFixture from '../fixtures/aws.js';
import { startStsWebIdentity, type WebIdentityHandle } from '../fixtures/aws-identity.js';
import { startSessionBridge, type SessionBridge } from '../fixtures/aws-session-bridge.js';
import * as azureFixture from '../fixtures/azure.js';
import { startAzureIdentity, type AzureIdentityHandle } from '../fixtures/azure-identity.js';
import * as googleFixture from '../fixtures/google.js';
import { startIbmIdentity, type IbmIdentityHandle } from '../fixtures/ibm-identity.js';
import { makeTempDir, removeDir, type Served } from '../fixtures/support.js';
import { failure } from './support/failure.js';
import { testContext, type TestContext } from './support/test-context.js';

const V1 = 'credentialprovider.kubelet.k8s.io/v1';
const SUBJECT = 'system:serviceaccount:team:app';
const OTHER_SUBJECT = 'system:serviceaccount:team:other';

/** A kubelet request for `image`, with the pod's token and annotations when given. */
const request = (image: string, token?: string, annotations?: Record<string, string>) =>
  JSON.stringify({
    apiVersion: V1,
    kind: 'CredentialProviderRequest',
    image,
    ...(token ? { serviceAccountToken: token } : {}),
    ...(annotations ? { serviceAccountAnnotations: annotations } : {}),
  });

/** A context whose mapping holds `entries`, with `env` as its environment. */
function contextWith(env: Record<string, string>, entries: MappingEntry[]): TestContext {
  const context = testContext({ env });
  const file = context.config.paths.mappingFile;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify({ version: 1, entries }), { mode: 0o600 });
  return context;
}

const entry = (server: string, kind: MappingEntry['kind'], source: string, options: Record<string, string>) =>
  ({
    server,
    serverURL: server,
    kind,
    username: 'node',
    source,
    options,
    updatedAt: '2026-01-01T00:00:00Z',
  }) as MappingEntry;

/** The one login of a response: its auth key, username and password. */
function loginOf(response: ProviderResponse): { key: string; username: string; password: string } {
  const keys = Object.keys(response.auth);
  assert.is(keys.length, 1, JSON.stringify(keys));
  return { key: keys[0]!, ...response.auth[keys[0]!]! };
}

/** The token cache files of a context: a pod's answer never lands there. */
const cachedTokens = (context: TestContext) => {
  const dir = join(context.config.paths.runtimeDir, 'tokens');
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.json')) : [];
};

// ---- AWS: AssumeRoleWithWebIdentity with the IRSA annotation ------------------------------------------------
const aws = suite('aws');
const ECR = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
const POD_ROLE = 'arn:aws:iam::123456789012:role/team-app-pull';
const NODE_ROLE = 'arn:aws:iam::123456789012:role/node-pull';
let ecr: awsFixture.AwsHandle;
let sts: WebIdentityHandle;
let bridge: SessionBridge;
let stsFront: Served;
aws.before(async () => {
  ecr = await awsFixture.start({ keys: [], roles: [NODE_ROLE] });
  sts = await startStsWebIdentity({ roles: { [POD_ROLE]: [SUBJECT] } });
  bridge = await startSessionBridge(ecr);
  stsFront = await bridge.recorder(sts);
});
aws.after(async () => {
  for (const served of [stsFront, bridge, sts, ecr]) await served.stop();
});

aws('the pod role from eks.amazonaws.com/role-arn signs the ECR call; the entry role is not assumed', async () => {
  // The entry's --role-arn is the node's: assuming it on top of the pod's role would answer as the node.
  const node = entry(ECR, 'aws-ecr', 'aws-env', { roleArn: NODE_ROLE });
  const context = contextWith({ AWS_ENDPOINT_URL_STS: stsFront.url, AWS_ENDPOINT_URL_ECR: bridge.gate.url }, [node]);
  try {
    const token = sts.issueWebIdentityToken(SUBJECT);
    const response = await answerKubelet(
      context,
      request(`${ECR}/team/app:1`, token, { 'eks.amazonaws.com/role-arn': POD_ROLE }),
    );
    const login = loginOf(response);
    assert.equal([login.key, login.username, response.cacheKeyType], [ECR, 'AWS', 'Image']);
    const check = ecr.validateEcrPassword(login.password);
    assert.ok(check.ok, 'an ECR password the stand-in issued');
    assert.is(sts.sessionRole(check.ok ? check.accessKeyId : ''), POD_ROLE, "signed with the pod role's session");
    assert.is(ecr.counts.byOperation['sts:AssumeRole'], undefined, 'the node role was not assumed');
    assert.equal(cachedTokens(context), []);

    // No annotation: nothing, and one line naming it; never the node's credentials.
    const bare = await answerKubelet(context, request(`${ECR}/team/app:1`, token, {}));
    assert.equal(Object.keys(bare.auth), [], 'no credentials');
    assert.match(context.written.err, /^[^\n]*has no annotation eks\.amazonaws\.com\/role-arn\n$/);
    assert.not.ok(context.written.err.includes(token), 'the token is never shown');
    // A role ARN that is not one: one line naming the annotation.
    await failure(
      answerKubelet(context, request(`${ECR}/a:1`, token, { 'eks.amazonaws.com/role-arn': 'admin' })),
      UserError,
      /the annotation eks\.amazonaws\.com\/role-arn is not a role ARN/,
      [token],
    );
  } finally {
    context.cleanup();
  }
});

// ---- Google: STS with the pool provider annotation, then the GKE service account annotation ---------------------
const gcp = suite('gcp');
const GAR = 'us-docker.pkg.dev';
const AUDIENCE = '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/cluster/providers/k8s';
const GSA = 'team-app@project.iam.gserviceaccount.com';
let google: googleFixture.GoogleHandle;
gcp.before(async () => {
  google = await googleFixture.start();
  google.federation.addProvider(AUDIENCE, 'oidc');
  google.federation.addServiceAccount(GSA, [google.federation.principal(AUDIENCE, SUBJECT)]);
});
gcp.after(() => google.stop());

gcp('the pool provider takes the token; iam.gke.io/gcp-service-account is then impersonated', async () => {
  const node = entry(GAR, 'gcp', 'gcp-metadata', {});
  const env = { LANYARD_GOOGLE_STS_URL: google.stsUrl, LANYARD_GOOGLE_IAM_CREDENTIALS_ENDPOINT: google.url };
  const context = contextWith(env, [node]);
  try {
    const token = google.federation.subjectToken(AUDIENCE, SUBJECT);
    const provider = { 'iam.gke.io/workload-identity-pool-provider': AUDIENCE.replace('//iam.googleapis.com/', '') };
    const image = `${GAR}/project/repo/app:1`;
    const impersonated = loginOf(
      await answerKubelet(context, request(image, token, { ...provider, 'iam.gke.io/gcp-service-account': GSA })),
    );
    assert.is(impersonated.username, 'oauth2accesstoken');
    const asAccount = google.validateToken(impersonated.password);
    assert.is(asAccount.ok && asAccount.subject, GSA, "the GKE service account's token");

    const federated = loginOf(await answerKubelet(context, request(image, token, provider)));
    const asPrincipal = google.validateToken(federated.password);
    assert.is(asPrincipal.ok && asPrincipal.subject, google.federation.principal(AUDIENCE, SUBJECT));
    assert.equal(cachedTokens(context), []);

    const bare = await answerKubelet(context, request(image, token, { 'iam.gke.io/gcp-service-account': GSA }));
    assert.equal(Object.keys(bare.auth), [], 'no credentials');
    assert.match(context.written.err, /no annotation iam\.gke\.io\/workload-identity-pool-provider\n$/);
    await failure(
      answerKubelet(context, request(image, token, { 'iam.gke.io/workload-identity-pool-provider': 'pool' })),
      UserError,
      /iam\.gke\.io\/workload-identity-pool-provider is not a workload identity pool provider/,
      [token],
    );
  } finally {
    context.cleanup();
  }
});

// ---- Azure: a federated client assertion for the annotated client id -----------------------------------------
const azure = suite('azure');
const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const POD_APP = '11111111-0000-4000-8000-00000000a991';
const ISSUER = 'https://oidc.cluster.test';
let idp: AzureIdentityHandle;
let acr: azureFixture.AzureHandle;
azure.before(async () => {
  idp = await startAzureIdentity({
    federated: [{ tenant: TENANT, clientId: POD_APP, issuer: ISSUER, subject: SUBJECT }],
  });
  acr = await azureFixture.start({ clients: [], trustEntraToken: (token) => idp.validateToken(token) });
});
azure.after(async () => {
  await acr.stop();
  await idp.stop();
});

azure(
  'azure.workload.identity/client-id signs in with the token; the tenant from its annotation or AZURE_TENANT_ID',
  async () => {
    const server = new URL(acr.url).host;
    const node = entry(server, 'azure-acr', 'azure-managed-identity', { acrEndpoint: acr.url });
    const withTenant = (env: Record<string, string>) => contextWith({ AZURE_AUTHORITY_HOST: idp.url, ...env }, [node]);
    const token = idp.issueFederatedToken(ISSUER, SUBJECT);
    const clientId = { 'azure.workload.identity/client-id': POD_APP };
    for (const [env, annotations] of [
      [{}, { ...clientId, 'azure.workload.identity/tenant-id': TENANT }],
      [{ AZURE_TENANT_ID: TENANT }, clientId],
    ] as const) {
      const context = withTenant(env);
      try {
        const login = loginOf(await answerKubelet(context, request(`${server}/app:1`, token, annotations)));
        assert.is(login.username, azureFixture.ACR_REFRESH_USERNAME);
        const check = acr.validateRefreshToken(login.password);
        assert.is(check.ok && check.subject, POD_APP, "an ACR refresh token for the pod's app");
        assert.equal(cachedTokens(context), []);
      } finally {
        context.cleanup();
      }
    }
    const context = withTenant({});
    try {
      assert.equal(Object.keys((await answerKubelet(context, request(`${server}/app:1`, token, clientId))).auth), []);
      assert.match(context.written.err, /no annotation azure\.workload\.identity\/tenant-id\n$/);
      assert.equal(Object.keys((await answerKubelet(context, request(`${server}/app:1`, token, {}))).auth), []);
      assert.match(context.written.err, /no annotation azure\.workload\.identity\/client-id\n$/);
    } finally {
      context.cleanup();
    }
    // Entra's hint names what the pod set, its annotation, not a variable of the node's.
    const unknownApp = { 'azure.workload.identity/client-id': '22222222-0000-4000-8000-00000000b991' };
    const tenanted = withTenant({ AZURE_TENANT_ID: TENANT });
    try {
      const refused = await answerKubelet(tenanted, request(`${server}/app:1`, token, unknownApp)).then(
        () => assert.unreachable('an unknown app was answered') as never,
        (error: Error) => error,
      );
      assert.match(
        refused.message,
        /\(the annotation azure\.workload\.identity\/client-id is not an application in this tenant\)/,
      );
      assert.not.match(refused.message, 'AZURE_CLIENT_ID');
    } finally {
      tenanted.cleanup();
    }
  },
);

// ---- IBM: the token as a compute-resource token for the annotated trusted profile ----------------------------
const ibm = suite('ibm');
const POD_PROFILE = { id: 'Profile-pod-app', name: 'team-app', crn: 'crn:v1:pod', trusts: [SUBJECT] };
const OTHER_PROFILE = { id: 'Profile-pod-other', name: 'team-other', crn: 'crn:v1:other', trusts: [OTHER_SUBJECT] };
const NODE_PROFILE = { id: 'Profile-node', name: 'node', crn: 'crn:v1:node', trusts: ['system:node'] };
let iam: IbmIdentityHandle;
let ibmContext: TestContext;
let nodeTokenDir = '';
const ICR_IMAGE = 'us.icr.io/team/app:1';
ibm.before(async () => {
  iam = await startIbmIdentity({ profiles: [POD_PROFILE, OTHER_PROFILE, NODE_PROFILE] });
  nodeTokenDir = makeTempDir('node-token');
  writeFileSync(join(nodeTokenDir, 'cr-token'), iam.issueCrToken('system:node'));
});
ibm.before.each(() => {
  iam.resetCounts();
  const node = entry('us.icr.io', 'ibm-iam', 'ibm-trusted-profile', {
    trustedProfile: NODE_PROFILE.id,
    iamEndpoint: iam.url,
  });
  ibmContext = contextWith({ LANYARD_IBM_CR_TOKEN_FILE: join(nodeTokenDir, 'cr-token') }, [node]);
});
ibm.after.each(() => ibmContext.cleanup());
ibm.after(async () => {
  await iam.stop();
  removeDir(nodeTokenDir);
});

const profile = (name: string) => ({ 'iam.cloud.ibm.com/trusted-profile': name });

ibm('the trusted profile from its annotation, by id, CRN or name; without a token, the node as before', async () => {
  const token = iam.issueCrToken(SUBJECT);
  for (const named of [POD_PROFILE.id, POD_PROFILE.crn, POD_PROFILE.name]) {
    const response = await answerKubelet(ibmContext, request(ICR_IMAGE, token, profile(named)));
    const login = loginOf(response);
    assert.equal([login.key, login.username], ['us.icr.io', 'iambearer']);
    assert.is(iam.validateToken(login.password), POD_PROFILE.id, named);
    assert.is(response.cacheKeyType, 'Image');
    assert.ok(Number.parseInt(response.cacheDuration, 10) <= 300, response.cacheDuration);
  }
  const asBefore = await answerKubelet(ibmContext, request(ICR_IMAGE));
  assert.is(iam.validateToken(loginOf(asBefore).password), NODE_PROFILE.id);
  assert.is(asBefore.cacheKeyType, 'Registry');
});

ibm('two service accounts get their own credentials, and nothing of one is kept for the other', async () => {
  const app = loginOf(
    await answerKubelet(ibmContext, request(ICR_IMAGE, iam.issueCrToken(SUBJECT), profile(POD_PROFILE.id))),
  );
  assert.equal(cachedTokens(ibmContext), [], 'no token cache record after a pod answer');
  const otherToken = iam.issueCrToken(OTHER_SUBJECT);
  const other = loginOf(await answerKubelet(ibmContext, request(ICR_IMAGE, otherToken, profile(OTHER_PROFILE.id))));
  assert.is(iam.validateToken(app.password), POD_PROFILE.id);
  assert.is(iam.validateToken(other.password), OTHER_PROFILE.id);
  assert.is.not(app.password, other.password);
  // The other account naming the first one's profile is refused by IAM (its token is not trusted there).
  await failure(
    answerKubelet(ibmContext, request(ICR_IMAGE, otherToken, profile(POD_PROFILE.id))),
    ServiceRefusedError,
    /not trusted by the profile/,
    [otherToken, app.password],
  );
  // The node's answer, cached as before, is the node's own.
  assert.is(iam.validateToken(loginOf(await answerKubelet(ibmContext, request(ICR_IMAGE))).password), NODE_PROFILE.id);
  assert.is(cachedTokens(ibmContext).length, 1);
});

ibm('a pod without the annotation gets nothing and one line; bad tokens and annotations are one line', async () => {
  const token = iam.issueCrToken(SUBJECT);
  const response = await answerKubelet(ibmContext, request(ICR_IMAGE, token, { other: 'x' }));
  assert.equal(Object.keys(response.auth), [], 'no credentials');
  assert.is(
    ibmContext.written.err,
    'docker-credential-lanyard (kubelet credential provider): no credentials for "us.icr.io": ' +
      "the pod's service account has no annotation iam.cloud.ibm.com/trusted-profile\n",
  );
  const many = Object.fromEntries(Array.from({ length: 65 }, (_, i) => [`k${i}`, 'v']));
  const cases: Array<[string, RegExp, string?]> = [
    [request(ICR_IMAGE, 'x'.repeat(16 * 1024 + 1)), /serviceAccountToken is longer than 16384 characters/],
    [request(ICR_IMAGE, 'not a jwt, a secret'), /serviceAccountToken is not a JWT/, 'not a jwt, a secret'],
    [request(ICR_IMAGE, token, many), /serviceAccountAnnotations has more than 64 entries/, token],
    [request(ICR_IMAGE, token, { ['k'.repeat(400)]: 'v' }), /has a key longer than 317 characters/, token],
    [request(ICR_IMAGE, token, { a: 'v'.repeat(5000) }), /serviceAccountAnnotations\.a is longer than 4096/, token],
    [
      JSON.stringify({ apiVersion: V1, kind: 'CredentialProviderRequest', image: 'a', serviceAccountToken: 7 }),
      /serviceAccountToken must be a string, not a number/,
    ],
    [
      JSON.stringify({ ...JSON.parse(request(ICR_IMAGE, token)), serviceAccountAnnotations: { a: 1 } }),
      /serviceAccountAnnotations\.a must be a string, not a number/,
      token,
    ],
  ];
  for (const [input, pattern, secret] of cases) {
    await failure(answerKubelet(ibmContext, input), UserError, pattern, secret ? [secret] : []);
  }
  assert.equal(iam.counts.issued, 0, 'nothing was asked of IAM');
});

// ---- a login whose cloud proves no pods ---------------------------------------------------------------------------
const other = suite('other kinds');

other('a token for a login of a kind without pod identity is answered from the login, as before', async () => {
  const server = 'registry.example';
  const login = { server, serverURL: server, kind: 'static', username: 'bob', store: 'env', secretRef: 'REG_PW' };
  const context = contextWith({ REG_PW: 'pw' }, [{ ...login, updatedAt: '2026-01-01T00:00:00Z' } as MappingEntry]);
  try {
    const response = await answerKubelet(
      context,
      request(`${server}/app:1`, 'a.b.c', { 'eks.amazonaws.com/role-arn': 'x' }),
    );
    assert.equal(loginOf(response), { key: server, username: 'bob', password: 'pw' });
    assert.equal([response.cacheKeyType, response.cacheDuration, context.written.err], ['Registry', '300s', '']);
  } finally {
    context.cleanup();
  }
});

aws.run();
gcp.run();
azure.run();
ibm.run();
other.run();
