// Self-tests of the cloud-service stand-ins in test/fixtures: each answers in its documented wire
// format (status, body, headers), counts what it saw, and injects every fault on demand.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import https from 'node:https';
import * as iamFixture from '../fixtures/iam.js';
import * as kubeFixture from '../fixtures/kube-api.js';
import * as hubFixture from '../fixtures/dockerhub.js';
import { decodeJwt, nowSeconds } from '../fixtures/support.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (user: string, pass: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});
const post = (url: string, body: string, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', headers, body });
/** uvu 0.5 has no assert.rejects. */
async function rejects(promise: Promise<unknown>): Promise<void> {
  const outcome = await promise.then(
    () => 'resolved',
    () => 'rejected',
  );
  assert.is(outcome, 'rejected');
}
const RFC3339_SECONDS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

// ---- IBM Cloud IAM -------------------------------------------------------------------------------
const iam = suite('iam');
let I: iamFixture.IamHandle;
const apikeyGrant = (apikey: string, headers: Record<string, string> = {}) =>
  post(
    I.tokenUrl,
    new URLSearchParams({ grant_type: iamFixture.APIKEY_GRANT, apikey, response_type: 'cloud_iam' }).toString(),
    { ...FORM, ...headers },
  );
iam.before(async () => {
  I = await iamFixture.start({ apikeys: ['key-a', 'key-b'], tokenLifetimeSeconds: 60 });
});
iam.after(() => I.stop());
iam.before.each(() => {
  I.faults.reset();
  I.resetCounts();
});

iam('apikey grant returns the documented token response and a verifiable JWT', async () => {
  const res = await apikeyGrant('key-a');
  assert.is(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = await res.json();
  assert.equal(Object.keys(body).sort(), [
    'access_token',
    'expiration',
    'expires_in',
    'ims_user_id',
    'refresh_token',
    'scope',
    'token_type',
  ]);
  assert.is(body.token_type, 'Bearer');
  assert.is(body.expires_in, 60);
  assert.is(body.scope, 'ibm openid');
  assert.is(body.refresh_token, 'not_supported'); // no client credentials, no usable refresh token
  const jwt = decodeJwt(body.access_token)!;
  assert.is(jwt.payload.exp, body.expiration);
  assert.is(Number(jwt.payload.exp) - Number(jwt.payload.iat), 60);
  assert.ok(String(jwt.payload.iam_id).startsWith('iam-ServiceId-') && jwt.payload.sub);
  const check = I.validateToken(body.access_token);
  assert.ok(check.ok && check.apikeyId === I.apikeyId('key-a'));
  assert.equal(I.counts.byGrant, { apikey: 1 });
  assert.equal(I.counts.byApikey, { 'key-a': 1 });
  assert.is(I.counts.issued, 1);
});

iam('refresh grant needs the client credentials of the grant that issued it', async () => {
  const first = await (await apikeyGrant('key-b', basic('bx', 'bx'))).json();
  assert.is.not(first.refresh_token, 'not_supported');
  const refresh = (token: string, headers: Record<string, string>) =>
    post(I.tokenUrl, `grant_type=refresh_token&refresh_token=${token}`, { ...FORM, ...headers });
  const ok = await refresh(first.refresh_token, basic('bx', 'bx'));
  assert.is(ok.status, 200);
  assert.ok(I.validateToken((await ok.json()).access_token).ok);
  for (const [token, headers] of [
    [first.refresh_token, {}],
    ['not_supported', basic('bx', 'bx')],
    ['', basic('bx', 'bx')],
  ] as const) {
    const res = await refresh(token, headers);
    assert.is(res.status, 400);
    assert.match((await res.json()).errorCode, /^BXNIM0(407|109)E$/);
  }
  assert.is((await apikeyGrant('key-b', basic('bx', 'wrong'))).status, 400);
  assert.is(I.counts.byGrant.refresh_token, 4);
});

iam('unknown or revoked API key is 400 BXNIM0415E with the documented body', async () => {
  const res = await apikeyGrant('nope');
  assert.is(res.status, 400);
  const body = await res.json();
  assert.is(body.errorCode, 'BXNIM0415E');
  assert.is(body.errorMessage, 'Provided API key could not be found.');
  assert.type(body.errorDetails, 'string');
  assert.ok(body.context.requestId && body.context.url === I.url);
  I.revokeKey('key-a');
  assert.is((await apikeyGrant('key-a')).status, 400);
  I.addKey('key-a');
  assert.is((await apikeyGrant('key-a')).status, 200);
  assert.equal(I.counts.byApikey, { nope: 1, 'key-a': 2 });
});

iam('malformed requests: wrong Content-Type, missing grant or apikey, wrong method', async () => {
  const json = await post(I.tokenUrl, JSON.stringify({ grant_type: iamFixture.APIKEY_GRANT, apikey: 'key-a' }), {
    'content-type': 'application/json',
  });
  assert.is(json.status, 400);
  assert.is((await json.json()).errorCode, 'BXNIM0109E');
  assert.is((await post(I.tokenUrl, 'apikey=key-a', FORM)).status, 400);
  assert.is((await post(I.tokenUrl, `grant_type=${iamFixture.APIKEY_GRANT}`, FORM)).status, 400);
  assert.is((await post(I.tokenUrl, 'grant_type=password', FORM)).status, 400);
  assert.is((await fetch(I.tokenUrl)).status, 405);
});

iam('validateToken rejects forged tokens and reports expired ones', async () => {
  const short = await iamFixture.start({ apikeys: ['k'], tokenLifetimeSeconds: 0 });
  const token = (await (await post(short.tokenUrl, `grant_type=${iamFixture.APIKEY_GRANT}&apikey=k`, FORM)).json())
    .access_token;
  assert.equal(short.validateToken(token), { ok: false, expired: true, apikeyId: short.apikeyId('k') });
  assert.equal(I.validateToken(token), { ok: false, expired: false }); // another fixture's key
  assert.equal(I.validateToken('not.a.jwt'), { ok: false, expired: false });
  await short.stop();
});

iam('faults: latency, 5xx, 429 with Retry-After, dropped connection, hang', async () => {
  I.faults.latencyMs = 150;
  const started = Date.now();
  assert.is((await apikeyGrant('key-a')).status, 200);
  assert.ok(Date.now() - started >= 140);
  I.faults.reset();

  I.faults.fail(2, 502);
  assert.is((await apikeyGrant('key-a')).status, 502);
  assert.is((await apikeyGrant('key-a')).status, 502);
  assert.is((await apikeyGrant('key-a')).status, 200);

  I.faults.throttle(1, 7);
  const limited = await apikeyGrant('key-a');
  assert.is(limited.status, 429);
  assert.is(limited.headers.get('retry-after'), '7');

  I.faults.drop(1);
  await rejects(apikeyGrant('key-a'));
  assert.is((await apikeyGrant('key-a')).status, 200);

  I.faults.hang();
  const hung = fetch(I.tokenUrl, { method: 'POST', headers: FORM, body: 'x=1', signal: AbortSignal.timeout(300) });
  await rejects(hung);
  I.faults.hang(false);
  assert.is((await apikeyGrant('key-a')).status, 200);
  assert.is(I.counts.total, 9);
  assert.is(I.counts.faulted, 5);
});

// ---- Kubernetes API ------------------------------------------------------------------------------
const kube = suite('kube-api');
let K: kubeFixture.KubeHandle;
const tokenPath = (ns: string, sa: string) => `${K.url}/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`;
const tokenRequest = (spec: object) =>
  JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec });
const kubeCall = (method: string, url: string, body?: object, caller = 'caller-token') =>
  fetch(url, {
    method,
    headers: { authorization: `Bearer ${caller}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
kube.before(async () => {
  K = await kubeFixture.start({
    callers: ['caller-token', 'other-token'],
    unprivileged: ['weak-token'],
    serviceAccounts: ['team/pusher'],
    maxExpirationSeconds: 3600,
  });
});
kube.after(() => K.stop());
kube.before.each(() => {
  K.faults.reset();
  K.resetCounts();
});

kube('TokenRequest returns 201 with the object and status.token / expirationTimestamp', async () => {
  const res = await post(
    tokenPath('team', 'pusher'),
    tokenRequest({ audiences: ['registry'], expirationSeconds: 600 }),
    { authorization: 'Bearer caller-token' },
  );
  assert.is(res.status, 201);
  const body = await res.json();
  assert.is(body.kind, 'TokenRequest');
  assert.equal(body.spec.audiences, ['registry']);
  assert.match(body.status.expirationTimestamp, RFC3339_SECONDS);
  const expires = Date.parse(body.status.expirationTimestamp) / 1000;
  assert.ok(Math.abs(expires - (nowSeconds() + 600)) <= 2);
  const check = K.validateToken(body.status.token, 'registry');
  assert.ok(check.ok && check.namespace === 'team' && check.serviceAccount === 'pusher');
  assert.not.ok(K.validateToken(body.status.token, 'other-audience').ok);
  assert.equal(K.counts.byServiceAccount, { 'team/pusher': 1 });
});

kube('expirationSeconds below 600 is 422 Invalid; above the cap is shortened with a Warning', async () => {
  const bad = await post(tokenPath('team', 'pusher'), tokenRequest({ expirationSeconds: 599 }), {
    authorization: 'Bearer caller-token',
  });
  assert.is(bad.status, 422);
  const status = await bad.json();
  assert.equal(
    [status.kind, status.apiVersion, status.status, status.reason, status.code],
    ['Status', 'v1', 'Failure', 'Invalid', 422],
  );
  assert.match(status.message, /may not specify a duration less than 10 minutes$/);
  const capped = await post(tokenPath('team', 'pusher'), tokenRequest({ expirationSeconds: 7200 }), {
    authorization: 'Bearer caller-token',
  });
  assert.is(capped.status, 201);
  assert.match(capped.headers.get('warning') ?? '', /shortened to 3600 seconds/);
  const expires = Date.parse((await capped.json()).status.expirationTimestamp) / 1000;
  assert.ok(Math.abs(expires - (nowSeconds() + 3600)) <= 2);
});

kube('401 for a bad caller token, 403 without RBAC, 404 for an unknown service account', async () => {
  const cases: Array<[string, string, number, string]> = [
    ['bogus', tokenPath('team', 'pusher'), 401, 'Unauthorized'],
    ['weak-token', tokenPath('team', 'pusher'), 403, 'Forbidden'],
    ['caller-token', tokenPath('team', 'ghost'), 404, 'NotFound'],
  ];
  for (const [caller, url, code, reason] of cases) {
    const res = await kubeCall(
      'POST',
      url,
      { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {} },
      caller,
    );
    assert.is(res.status, code);
    const body = await res.json();
    assert.equal([body.kind, body.code, body.reason], ['Status', code, reason]);
  }
  const list = `${K.url}/api/v1/namespaces/team/secrets`;
  assert.is((await kubeCall('GET', list, undefined, 'other-token')).status, 200);
  K.revokeCaller('other-token');
  assert.is((await kubeCall('GET', list, undefined, 'other-token')).status, 401);
  assert.is(K.counts.unauthorized, 3);
});

kube('dockerconfigjson Secrets: create 201, 409 AlreadyExists, get, replace, conflicts, validation', async () => {
  const base = `${K.url}/api/v1/namespaces/team/secrets`;
  const config = { auths: { 'us.icr.io': { auth: Buffer.from('iambearer:tok').toString('base64') } } };
  const secret = (extra: object = {}) => ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'pull' },
    type: 'kubernetes.io/dockerconfigjson',
    stringData: { '.dockerconfigjson': JSON.stringify(config) },
    ...extra,
  });
  const created = await kubeCall('POST', base, secret());
  assert.is(created.status, 201);
  const stored = await created.json();
  assert.ok(stored.metadata.uid && stored.metadata.resourceVersion && stored.data['.dockerconfigjson']);
  assert.equal(K.secrets.dockerConfig('team', 'pull'), config);
  const again = await (await kubeCall('POST', base, secret())).json();
  assert.equal([again.code, again.reason, again.message], [409, 'AlreadyExists', 'secrets "pull" already exists']);
  assert.is((await kubeCall('GET', `${base}/pull`)).status, 200);
  assert.is((await (await kubeCall('GET', base)).json()).items.length, 1);
  const replaced = await kubeCall(
    'PUT',
    `${base}/pull`,
    secret({ metadata: { name: 'pull', resourceVersion: stored.metadata.resourceVersion } }),
  );
  assert.is(replaced.status, 200);
  assert.is.not((await replaced.json()).metadata.resourceVersion, stored.metadata.resourceVersion);
  const stale = await kubeCall(
    'PUT',
    `${base}/pull`,
    secret({ metadata: { name: 'pull', resourceVersion: stored.metadata.resourceVersion } }),
  );
  assert.is((await stale.json()).reason, 'Conflict');
  assert.is((await kubeCall('PUT', `${base}/other`, secret({ metadata: { name: 'other' } }))).status, 404);
  assert.is((await kubeCall('GET', `${base}/other`)).status, 404);
  const invalid = await kubeCall('POST', base, secret({ metadata: { name: 'empty' }, stringData: {} }));
  assert.is(invalid.status, 422);
  assert.equal(K.counts.secretRequests, { POST: 3, GET: 3, PUT: 3 });
});

kube('faults use the API server shapes: 503 Status, 429 TooManyRequests with Retry-After', async () => {
  K.faults.fail(1);
  const down = await kubeCall('GET', `${K.url}/api/v1/namespaces/team/secrets`);
  assert.equal([down.status, (await down.json()).reason], [503, 'ServiceUnavailable']);
  K.faults.throttle(1, 3);
  const busy = await kubeCall('GET', `${K.url}/api/v1/namespaces/team/secrets`);
  assert.is(busy.headers.get('retry-after'), '3');
  assert.equal((await busy.json()).details, { retryAfterSeconds: 3 });
});

kube('optional TLS: trusted only with the fixture CA bundle', async () => {
  const secure = await kubeFixture.start({ callers: ['c'], serviceAccounts: [], tls: true });
  assert.ok(secure.url.startsWith('https://127.0.0.1:') && secure.ca?.includes('BEGIN CERTIFICATE') && secure.caFile);
  await rejects(fetch(`${secure.url}/api/v1/namespaces/x/secrets`));
  const status = await new Promise<number>((resolve, reject) => {
    https
      .get(
        `${secure.url}/api/v1/namespaces/x/secrets`,
        { ca: secure.ca, headers: { authorization: 'Bearer c' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
      .on('error', reject);
  });
  assert.is(status, 200);
  await secure.stop();
});

// ---- Docker Hub ----------------------------------------------------------------------------------
const hub = suite('dockerhub');
let H: hubFixture.HubHandle;
const hubLogin = (identifier: string, secret: string) =>
  post(H.tokenUrl, JSON.stringify({ identifier, secret }), { 'content-type': 'application/json' });
hub.before(async () => {
  H = await hubFixture.start({ accounts: [['alice', 'dckr_pat_a']], rateLimit: 5 });
});
hub.after(() => H.stop());
hub.before.each(() => {
  H.faults.reset();
  H.resetCounts();
});

hub('PAT exchange: 200 access_token (10-minute JWT) with rate-limit headers; 401 detail otherwise', async () => {
  const res = await hubLogin('alice', 'dckr_pat_a');
  assert.is(res.status, 200);
  assert.is(res.headers.get('x-ratelimit-limit'), '5');
  assert.ok(Number(res.headers.get('x-ratelimit-reset')) > nowSeconds());
  const { access_token: token } = await res.json();
  const jwt = decodeJwt(token)!;
  assert.is(Number(jwt.payload.exp) - Number(jwt.payload.iat), 600);
  assert.ok(H.validateToken(token).ok);
  const denied = await hubLogin('alice', 'wrong');
  assert.is(denied.status, 401);
  assert.type((await denied.json()).detail, 'string');
  H.revoke('dckr_pat_a');
  assert.is((await hubLogin('alice', 'dckr_pat_a')).status, 401);
  H.add('alice', 'dckr_pat_a');
  assert.is((await post(H.tokenUrl, '{"identifier":"alice"}', { 'content-type': 'application/json' })).status, 400);
  assert.equal([H.counts.issued, H.counts.rejected, H.counts.byIdentifier.alice], [1, 2, 3]);
});

hub('over the limit: 429 with X-Retry-After as a unix time; injected faults too', async () => {
  const limited = await hubFixture.start({ accounts: [['bob', 'dckr_pat_b']], rateLimit: 2 });
  const login = () =>
    post(limited.tokenUrl, JSON.stringify({ identifier: 'bob', secret: 'dckr_pat_b' }), {
      'content-type': 'application/json',
    });
  assert.equal([(await login()).status, (await login()).status], [200, 200]);
  const refused = await login();
  assert.is(refused.status, 429);
  assert.is(refused.headers.get('x-ratelimit-remaining'), '0');
  assert.ok(Number(refused.headers.get('x-retry-after')) >= nowSeconds());
  assert.is(limited.counts.rateLimited, 1);
  await limited.stop();
  H.faults.throttle(1, 30);
  const injected = await hubLogin('alice', 'dckr_pat_a');
  assert.is(injected.status, 429);
  assert.ok(Math.abs(Number(injected.headers.get('x-retry-after')) - (nowSeconds() + 30)) <= 1);
  H.faults.fail(1, 500);
  assert.is((await hubLogin('alice', 'dckr_pat_a')).status, 500);
  assert.equal([H.counts.total, H.counts.faulted], [2, 2]);
});

iam.run();
kube.run();
hub.run();
