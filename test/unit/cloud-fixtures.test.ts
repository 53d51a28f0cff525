// Self-tests of the cloud stand-ins (AWS STS/ECR/ECR Public, Google's token endpoint, Entra + ACR) and of
// the token registry's validator hook: hand-made requests in each cloud's wire format are accepted when
// correct and refused with the documented error when not; faults are injected; counters count.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomUUID } from 'node:crypto';
import * as awsFixture from '../fixtures/aws.js';
import * as googleFixture from '../fixtures/google.js';
import * as azureFixture from '../fixtures/azure.js';
import { startAzureIdentity } from '../fixtures/azure-identity.js';
import * as registryFixture from '../fixtures/token-registry.js';
import * as sigv4 from '../fixtures/sigv4.js';
import { decodeJwt, nowSeconds } from '../fixtures/support.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const post = (url: string, body: string, headers: Record<string, string>) =>
  fetch(url, { method: 'POST', headers, body });
const basic = (user: string, pass: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});

// ---- SigV4 itself --------------------------------------------------------------------------------
const sig = suite('sigv4');

sig("reproduces AWS's published example (IAM ListUsers, 20150830T123600Z)", () => {
  const canonical = sigv4.canonicalRequest({
    method: 'GET',
    target: '/?Action=ListUsers&Version=2010-05-08',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8',
      Host: 'iam.amazonaws.com',
      'X-Amz-Date': '20150830T123600Z',
    },
    signedHeaders: ['content-type', 'host', 'x-amz-date'],
    payloadHash: sigv4.payloadHash(''),
  });
  const toSign = sigv4.stringToSign(
    '20150830T123600Z',
    sigv4.credentialScope('20150830', 'us-east-1', 'iam'),
    canonical,
  );
  assert.ok(toSign.endsWith('f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59'));
  const key = sigv4.signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'iam');
  assert.is(key.toString('hex'), 'c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
  assert.is(sigv4.signatureOf(key, toSign), '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7');
});

// ---- AWS -----------------------------------------------------------------------------------------
const aws = suite('aws');
const KEY = { accessKeyId: 'AKIALANYARDTEST00001', secretAccessKey: 'lanyard/secret/key/0000000000000000000001' };
const ROLE = 'arn:aws:iam::210987654321:role/ecr-pull';
let A: awsFixture.AwsHandle;

interface SignedCall {
  region?: string;
  service?: string;
  secret?: string;
  accessKeyId?: string;
  sessionToken?: string;
  date?: Date;
}
function ecrCall(target: string, body: string, call: SignedCall = {}) {
  const headers = sigv4.sign({
    method: 'POST',
    url: `${A.url}/`,
    headers: { 'content-type': awsFixture.JSON_CONTENT_TYPE, 'x-amz-target': target },
    body,
    accessKeyId: call.accessKeyId ?? KEY.accessKeyId,
    secretAccessKey: call.secret ?? KEY.secretAccessKey,
    region: call.region ?? 'us-west-2',
    service: call.service ?? (target === awsFixture.ECR_PUBLIC_TARGET ? 'ecr-public' : 'ecr'),
    ...(call.sessionToken ? { sessionToken: call.sessionToken } : {}),
    ...(call.date ? { date: call.date } : {}),
  });
  return post(`${A.url}/`, body, headers);
}
const ecr = (call: SignedCall = {}, body = '{}') => ecrCall(awsFixture.ECR_TARGET, body, call);
function assumeRole(fields: Record<string, string>, call: SignedCall = {}) {
  const body = form({ Action: 'AssumeRole', Version: awsFixture.STS_VERSION, ...fields });
  const headers = sigv4.sign({
    method: 'POST',
    url: `${A.url}/`,
    headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
    body,
    accessKeyId: call.accessKeyId ?? KEY.accessKeyId,
    secretAccessKey: call.secret ?? KEY.secretAccessKey,
    region: call.region ?? 'us-east-1',
    service: call.service ?? 'sts',
  });
  return post(`${A.url}/`, body, headers);
}
const xmlField = (xml: string, name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(xml)?.[1];
async function jsonError(res: Response) {
  return { status: res.status, ...((await res.json()) as { __type: string; message: string }) };
}

aws.before(async () => {
  A = await awsFixture.start({ keys: [KEY], roles: [ROLE] });
});
aws.after(() => A.stop());
aws.before.each(() => {
  A.faults.reset();
  A.resetCounts();
});

aws('ECR GetAuthorizationToken: a correct SigV4 request gets AWS:<password> and the proxy endpoint', async () => {
  const res = await ecr();
  assert.is(res.status, 200);
  assert.is(res.headers.get('content-type'), awsFixture.JSON_CONTENT_TYPE);
  const body = await res.json();
  assert.is(body.authorizationData.length, 1);
  const data = body.authorizationData[0];
  assert.is(data.proxyEndpoint, `https://${awsFixture.DEFAULT_ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com`);
  const expiresIn = data.expiresAt - Date.now() / 1000;
  assert.ok(expiresIn > 43_190 && expiresIn <= 43_200, `12 h lifetime, got ${expiresIn}`);
  const decoded = Buffer.from(data.authorizationToken, 'base64').toString('utf8');
  assert.ok(decoded.startsWith('AWS:'));
  const password = decoded.slice(4);
  assert.ok(A.validateEcrPassword(password).ok);
  assert.ok(A.registryLogin('AWS', password));
  assert.is(A.registryLogin('AWS', `${password}x`), null);
  assert.is(A.registryLogin('aws', password), null);
  assert.equal(A.counts.byOperation, { 'ecr:GetAuthorizationToken': 1 });
  assert.equal(A.counts.byAccessKey, { [KEY.accessKeyId]: 1 });
  assert.is(A.counts.ecrTokens, 1);
});

aws('ECR: registryIds give one entry per registry; China regions get the .com.cn suffix', async () => {
  const res = await ecr({ region: 'cn-north-1' }, JSON.stringify({ registryIds: ['111111111111', '222222222222'] }));
  const body = await res.json();
  assert.equal(
    body.authorizationData.map((d: { proxyEndpoint: string }) => d.proxyEndpoint),
    [
      'https://111111111111.dkr.ecr.cn-north-1.amazonaws.com.cn',
      'https://222222222222.dkr.ecr.cn-north-1.amazonaws.com.cn',
    ],
  );
});

aws('ECR: a wrong secret is InvalidSignatureException, an unknown key UnrecognizedClientException', async () => {
  const wrong = await jsonError(await ecr({ secret: `${KEY.secretAccessKey}x` }));
  assert.is(wrong.__type, 'InvalidSignatureException');
  assert.match(wrong.message, /does not match the signature you provided/);
  const unknown = await jsonError(await ecr({ accessKeyId: 'AKIAUNKNOWN000000000' }));
  assert.is(unknown.__type, 'UnrecognizedClientException');
  assert.is(unknown.message, 'The security token included in the request is invalid.');
  A.revokeKey(KEY.accessKeyId);
  try {
    assert.is((await jsonError(await ecr())).__type, 'UnrecognizedClientException');
  } finally {
    A.addKey(KEY);
  }
  assert.is(A.counts.ecrTokens, 0);
  assert.equal(A.counts.errors, { InvalidSignatureException: 1, UnrecognizedClientException: 2 });
});

aws('ECR: wrong region, wrong service and a stale or future date are refused with their messages', async () => {
  const region = await jsonError(await ecr({ region: 'mars-north-1' }));
  assert.is(region.__type, 'InvalidSignatureException');
  assert.match(region.message, /scoped to a valid region, not 'mars-north-1'/);
  const service = await jsonError(await ecr({ service: 'ecr-public' }));
  assert.match(service.message, /scoped to correct service: 'ecr'/);
  const stale = await jsonError(await ecr({ date: new Date(Date.now() - 6 * 60_000) }));
  assert.is(stale.__type, 'InvalidSignatureException');
  assert.match(
    stale.message,
    /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
  );
  const future = await jsonError(await ecr({ date: new Date(Date.now() + 6 * 60_000) }));
  assert.match(future.message, /^Signature not yet current:/);
  // Inside the 5 minutes of allowed skew it still works.
  assert.is((await ecr({ date: new Date(Date.now() - 4 * 60_000) })).status, 200);
});

aws('ECR: a request altered after signing, or unsigned, is refused', async () => {
  const body = '{}';
  const headers = sigv4.sign({
    method: 'POST',
    url: `${A.url}/`,
    headers: { 'content-type': awsFixture.JSON_CONTENT_TYPE, 'x-amz-target': awsFixture.ECR_TARGET },
    body,
    ...KEY,
    region: 'us-west-2',
    service: 'ecr',
  });
  const altered = await jsonError(await post(`${A.url}/`, '{"registryIds":["111111111111"]}', headers));
  assert.is(altered.__type, 'InvalidSignatureException');
  const { authorization: _, ...unsigned } = headers;
  assert.is((await jsonError(await post(`${A.url}/`, body, unsigned))).__type, 'MissingAuthenticationTokenException');
});

aws('ECR Public: its own target, service ecr-public, only us-east-1, one authorizationData object', async () => {
  const res = await ecrCall(awsFixture.ECR_PUBLIC_TARGET, '{}', { region: 'us-east-1' });
  assert.is(res.status, 200);
  const body = await res.json();
  assert.ok(!Array.isArray(body.authorizationData));
  assert.equal(Object.keys(body.authorizationData).sort(), ['authorizationToken', 'expiresAt']);
  const password = Buffer.from(body.authorizationData.authorizationToken, 'base64').toString().slice(4);
  const check = A.validateEcrPassword(password);
  assert.ok(check.ok && check.public);
  const elsewhere = await jsonError(await ecrCall(awsFixture.ECR_PUBLIC_TARGET, '{}', { region: 'us-west-2' }));
  assert.match(elsewhere.message, /valid region/);
});

aws('STS AssumeRole: XML credentials that then sign ECR calls with the session token, until they expire', async () => {
  const res = await assumeRole({ RoleArn: ROLE, RoleSessionName: 'lanyard', DurationSeconds: '900' });
  assert.is(res.status, 200);
  const xml = await res.text();
  assert.match(xml, /^<AssumeRoleResponse xmlns="https:\/\/sts\.amazonaws\.com\/doc\/2011-06-15\/">/);
  const session = {
    accessKeyId: xmlField(xml, 'AccessKeyId')!,
    secret: xmlField(xml, 'SecretAccessKey')!,
    sessionToken: xmlField(xml, 'SessionToken')!,
  };
  assert.match(session.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
  assert.is(xmlField(xml, 'Arn'), 'arn:aws:sts::210987654321:assumed-role/ecr-pull/lanyard');
  const expires = Date.parse(xmlField(xml, 'Expiration')!) / 1000 - nowSeconds();
  assert.ok(expires > 890 && expires <= 900);

  const ok = await ecr(session);
  assert.is(ok.status, 200);
  const data = (await ok.json()).authorizationData[0];
  assert.is(data.proxyEndpoint, 'https://210987654321.dkr.ecr.us-west-2.amazonaws.com', "the role's account");
  const { sessionToken: _, ...withoutToken } = session;
  assert.is((await jsonError(await ecr(withoutToken))).__type, 'UnrecognizedClientException');
  A.expireSessions();
  const expired = await jsonError(await ecr(session));
  assert.is(expired.__type, 'ExpiredTokenException');
});

aws(
  'STS AssumeRole: unknown role is AccessDenied, bad duration ValidationError, wrong secret SignatureDoesNotMatch',
  async () => {
    const denied = await assumeRole({ RoleArn: 'arn:aws:iam::210987654321:role/other', RoleSessionName: 'x1' });
    assert.is(denied.status, 403);
    const deniedXml = await denied.text();
    assert.is(xmlField(deniedXml, 'Code'), 'AccessDenied');
    assert.match(xmlField(deniedXml, 'Message')!, /is not authorized to perform: sts:AssumeRole on resource/);
    const long = await assumeRole({ RoleArn: ROLE, RoleSessionName: 'x1', DurationSeconds: '7200' });
    assert.is(xmlField(await long.text(), 'Code'), 'ValidationError');
    const bad = await assumeRole({ RoleArn: ROLE, RoleSessionName: 'x1' }, { secret: 'nope' });
    assert.is(bad.status, 403);
    const badXml = await bad.text();
    assert.is(xmlField(badXml, 'Code'), 'SignatureDoesNotMatch');
    assert.is(xmlField(badXml, 'Type'), 'Sender');
    const unknown = await assumeRole({ RoleArn: ROLE, RoleSessionName: 'x1' }, { accessKeyId: 'AKIANOPE' });
    assert.is(xmlField(await unknown.text(), 'Code'), 'InvalidClientTokenId');
    assert.is(A.counts.sessions, 0);
  },
);

aws('faults: 5xx, ThrottlingException, malformed, failWith, latency — each in its protocol', async () => {
  A.faults.fail(1, 503);
  const down = await ecr();
  assert.is(down.status, 503);
  assert.is((await down.json()).__type, 'ServerException');
  A.faults.throttle(1);
  const throttled = await jsonError(await ecr());
  assert.equal([throttled.status, throttled.__type], [400, 'ThrottlingException']);
  A.faults.throttle(1);
  const stsThrottled = await assumeRole({ RoleArn: ROLE, RoleSessionName: 'x1' });
  assert.is(xmlField(await stsThrottled.text(), 'Code'), 'Throttling');
  A.faults.malformed(1);
  const garbled = await ecr();
  assert.is(garbled.status, 200);
  await garbled.text().then((text) => assert.throws(() => JSON.parse(text)));
  A.failWith(1, 'AccessDeniedException', 'User is not authorized to perform: ecr:GetAuthorizationToken');
  assert.is((await jsonError(await ecr())).__type, 'AccessDeniedException');
  A.faults.latencyMs = 300;
  const started = Date.now();
  assert.is((await ecr()).status, 200);
  assert.ok(Date.now() - started >= 290);
  assert.is(A.counts.total, 6);
  assert.is(A.counts.faulted, 5);
});

// ---- Google --------------------------------------------------------------------------------------
const gcp = suite('google');
let G: googleFixture.GoogleHandle;
const jwtGrant = (assertion: string) =>
  post(G.tokenUrl, form({ grant_type: googleFixture.JWT_BEARER_GRANT, assertion }), FORM);

gcp.before(async () => {
  G = await googleFixture.start();
});
gcp.after(() => G.stop());
gcp.before.each(() => {
  G.faults.reset();
  G.resetCounts();
});

gcp('a service-account key file has the documented fields and its assertion gets an access token', async () => {
  const key = G.makeServiceAccountKey();
  assert.equal(Object.keys(key).sort(), [
    'auth_provider_x509_cert_url',
    'auth_uri',
    'client_email',
    'client_id',
    'client_x509_cert_url',
    'private_key',
    'private_key_id',
    'project_id',
    'token_uri',
    'type',
    'universe_domain',
  ]);
  assert.match(key.private_key, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.is(key.token_uri, G.tokenUrl);
  const res = await jwtGrant(googleFixture.signAssertion(key));
  assert.is(res.status, 200);
  const body = await res.json();
  assert.equal(Object.keys(body).sort(), ['access_token', 'expires_in', 'token_type']);
  assert.is(body.token_type, 'Bearer');
  assert.is(body.expires_in, 3599);
  assert.match(body.access_token, /^ya29\./);
  assert.is(G.registryLogin(googleFixture.ACCESS_TOKEN_USERNAME, body.access_token), key.client_email);
  assert.is(G.registryLogin('_dcgcr_2_1_8_token', body.access_token), key.client_email);
  assert.is(G.registryLogin('_json_key', JSON.stringify(key, null, 2)), key.client_email);
  assert.is(
    G.registryLogin('_json_key_base64', Buffer.from(JSON.stringify(key, null, 2)).toString('base64')),
    key.client_email,
  );
  assert.is(G.registryLogin(googleFixture.ACCESS_TOKEN_USERNAME, 'ya29.forged'), null);
  assert.equal(G.counts.byGrant, { 'jwt-bearer': 1 });
});

gcp("a JWT signed by another key, with alg none/HS256, or a revoked key is 'Invalid JWT Signature.'", async () => {
  const key = G.makeServiceAccountKey();
  const other = G.makeServiceAccountKey();
  const forged = googleFixture.signAssertion({ ...key, private_key: other.private_key });
  const answers = [
    await jwtGrant(forged),
    await jwtGrant(googleFixture.signAssertion(key, {}, { alg: 'HS256' })),
    await jwtGrant(`${googleFixture.signAssertion(key).split('.').slice(0, 2).join('.')}.`),
  ];
  G.revokeKey(key.private_key_id);
  answers.push(await jwtGrant(googleFixture.signAssertion(key)));
  for (const res of answers) {
    assert.is(res.status, 400);
    assert.equal(await res.json(), { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' });
  }
  assert.is(G.counts.issued, 0);
});

gcp('claims are checked: aud, iss, lifetime over an hour, expired, future iat, missing scope', async () => {
  const key = G.makeServiceAccountKey();
  const now = nowSeconds();
  const refused = async (claims: Record<string, unknown>) =>
    (await jwtGrant(googleFixture.signAssertion(key, claims))).json();
  assert.match((await refused({ aud: 'https://elsewhere.example/token' })).error_description, /audience/);
  assert.is((await refused({ iss: 'someone@else.iam.gserviceaccount.com' })).error, 'invalid_grant');
  const timeframe = /short-lived token \(60 minutes\) and in a reasonable timeframe/;
  assert.match((await refused({ iat: now, exp: now + 3601 })).error_description, timeframe);
  assert.match((await refused({ iat: now - 7200, exp: now - 3600 })).error_description, timeframe);
  assert.match((await refused({ iat: now + 900, exp: now + 1800 })).error_description, timeframe);
  assert.is((await refused({ scope: '' })).error, 'invalid_scope');
  assert.is((await jwtGrant(googleFixture.signAssertion(key, { iat: now - 30, exp: now + 3570 }))).status, 200);
});

gcp('authorized_user: the refresh-token grant, a wrong client secret and a revoked refresh token', async () => {
  const user = G.makeAuthorizedUser();
  assert.equal(Object.keys(user).sort(), [
    'client_id',
    'client_secret',
    'refresh_token',
    'token_uri',
    'type',
    'universe_domain',
  ]);
  const refresh = (secret = user.client_secret) =>
    post(
      user.token_uri,
      form({
        grant_type: 'refresh_token',
        client_id: user.client_id,
        client_secret: secret,
        refresh_token: user.refresh_token,
      }),
      FORM,
    );
  const ok = await refresh();
  assert.is(ok.status, 200);
  const token = await ok.json();
  assert.ok(token.scope.includes(googleFixture.CLOUD_PLATFORM_SCOPE));
  assert.ok(G.validateToken(token.access_token).ok);
  const wrong = await refresh('nope');
  assert.equal([wrong.status, (await wrong.json()).error], [401, 'invalid_client']);
  G.revokeRefreshToken(user.refresh_token);
  const revoked = await refresh();
  assert.equal(await revoked.json(), {
    error: 'invalid_grant',
    error_description: 'Token has been expired or revoked.',
  });
  assert.equal(G.counts.errors, { invalid_client: 1, invalid_grant: 1 });
});

gcp('faults: 503, 429 with Retry-After, malformed, failWith', async () => {
  const key = G.makeServiceAccountKey();
  G.faults.fail(1, 503);
  assert.is((await jwtGrant(googleFixture.signAssertion(key))).status, 503);
  G.faults.throttle(1, 7);
  const throttled = await jwtGrant(googleFixture.signAssertion(key));
  assert.equal([throttled.status, throttled.headers.get('retry-after')], [429, '7']);
  G.faults.malformed(1);
  const garbled = await (await jwtGrant(googleFixture.signAssertion(key))).text();
  assert.throws(() => JSON.parse(garbled));
  G.failWith(1, 400, 'invalid_grant', 'Invalid grant: account not found');
  assert.is((await (await jwtGrant(googleFixture.signAssertion(key))).json()).error, 'invalid_grant');
  assert.is((await jwtGrant(googleFixture.signAssertion(key))).status, 200);
  assert.equal([G.counts.total, G.counts.faulted, G.counts.issued], [5, 4, 1]);
});

// ---- Azure ---------------------------------------------------------------------------------------
const az = suite('azure');
const SP = { tenant: '409520d4-8100-4d1d-ad47-72432ddcc120', clientId: randomUUID(), clientSecret: 'lanyard~secret' };
const REGISTRY = 'contosoregistry.azurecr.io';
let Z: azureFixture.AzureHandle;
const entra = (fields: Record<string, string> = {}, tenant = SP.tenant) =>
  post(
    Z.tokenUrl(tenant),
    form({
      grant_type: 'client_credentials',
      client_id: SP.clientId,
      client_secret: SP.clientSecret,
      scope: azureFixture.ACR_SCOPE,
      ...fields,
    }),
    FORM,
  );
const exchange = (accessToken: string, fields: Record<string, string> = {}) =>
  post(
    Z.exchangeUrl,
    form({ grant_type: 'access_token', service: REGISTRY, tenant: SP.tenant, access_token: accessToken, ...fields }),
    FORM,
  );

az.before(async () => {
  Z = await azureFixture.start({ clients: [SP] });
});
az.after(() => Z.stop());
az.before.each(() => {
  Z.faults.reset();
  Z.resetCounts();
});

az('Entra client credentials -> ACR exchange -> refresh token with exp -> ACR access token', async () => {
  const tokenRes = await entra();
  assert.is(tokenRes.status, 200);
  const token = await tokenRes.json();
  assert.equal(Object.keys(token).sort(), ['access_token', 'expires_in', 'ext_expires_in', 'token_type']);
  assert.is(decodeJwt(token.access_token)!.payload.aud, 'https://containerregistry.azure.net');
  const exchanged = await exchange(token.access_token);
  assert.is(exchanged.status, 200);
  const { refresh_token: refreshToken, ...rest } = await exchanged.json();
  assert.equal(rest, {});
  const claims = decodeJwt(refreshToken)!.payload;
  assert.is(claims.aud, REGISTRY);
  assert.is(claims.tenant, SP.tenant);
  const life = Number(claims.exp) - nowSeconds();
  assert.ok(life > 10_790 && life <= 10_800, `3 h refresh token, got ${life}`);
  assert.ok(Z.registryLogin(azureFixture.ACR_REFRESH_USERNAME, refreshToken));
  assert.is(Z.registryLogin('someone', refreshToken), null);

  const access = await post(
    Z.acrTokenUrl,
    form({
      grant_type: 'refresh_token',
      service: REGISTRY,
      scope: 'repository:team/app:pull',
      refresh_token: refreshToken,
    }),
    FORM,
  );
  assert.is(access.status, 200);
  const accessClaims = decodeJwt((await access.json()).access_token)!.payload;
  assert.equal(accessClaims.access, [{ type: 'repository', name: 'team/app', actions: ['pull'] }]);
  // The ARM audience is accepted too (what az acr login uses).
  const arm = await (await entra({ scope: 'https://management.azure.com/.default' })).json();
  assert.is((await exchange(arm.access_token)).status, 200);
  assert.equal(Z.counts.byEndpoint, { entra: 2, exchange: 2, token: 1 });
  assert.equal([Z.counts.entraTokens, Z.counts.refreshTokens, Z.counts.accessTokens], [2, 2, 1]);
});

az('Entra errors carry AADSTS codes in the documented JSON shape', async () => {
  const wrong = await entra({ client_secret: 'nope' });
  assert.is(wrong.status, 401);
  const body = await wrong.json();
  assert.equal(Object.keys(body).sort(), [
    'correlation_id',
    'error',
    'error_codes',
    'error_description',
    'error_uri',
    'timestamp',
    'trace_id',
  ]);
  assert.is(body.error, 'invalid_client');
  assert.equal(body.error_codes, [7000215]);
  assert.match(body.error_description, /^AADSTS7000215: Invalid client secret provided\..*\r\nTrace ID: /s);
  const code = async (res: Response) => (await res.json()).error_codes[0];
  assert.is(await code(await entra({ client_id: randomUUID() })), 700016);
  assert.is(await code(await entra({}, randomUUID())), 90002);
  assert.is(await code(await entra({ scope: 'https://containerregistry.azure.net/read' })), 1002012);
  Z.expireSecret(SP.clientId);
  try {
    assert.is(await code(await entra()), 7000222);
  } finally {
    Z.addClient(SP);
  }
  assert.is(Z.counts.entraTokens, 0);
  assert.equal(Object.keys(Z.counts.errors).sort(), [
    'AADSTS1002012',
    'AADSTS700016',
    'AADSTS7000215',
    'AADSTS7000222',
    'AADSTS90002',
  ]);
});

az('the exchange refuses forged, expired-by-tenant and wrong-tenant tokens; expired refresh tokens fail', async () => {
  const token = (await (await entra()).json()).access_token;
  assert.is((await exchange(`${token}x`)).status, 401);
  assert.is((await exchange(token, { tenant: randomUUID() })).status, 401);
  Z.setRefreshTokenLifetime(-1);
  try {
    const stale = (await (await exchange(token)).json()).refresh_token;
    assert.equal(Z.validateRefreshToken(stale), { ok: false, expired: true });
    assert.is(Z.registryLogin(azureFixture.ACR_REFRESH_USERNAME, stale), null);
  } finally {
    Z.setRefreshTokenLifetime(10_800);
  }
});

az("trustEntraToken: the exchange takes the identity stand-in's tokens only when told to", async () => {
  const identity = await startAzureIdentity({ managedIdentity: { clientId: randomUUID(), tenant: SP.tenant } });
  const trusting = await azureFixture.start({ clients: [], trustEntraToken: identity.validateToken });
  try {
    const answer = await fetch(
      `${identity.url}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent(
        'https://containerregistry.azure.net',
      )}`,
      { headers: { Metadata: 'true' } },
    );
    const token = (await answer.json()).access_token as string;
    const exchangeAt = (handle: azureFixture.AzureHandle, accessToken: string) =>
      post(
        handle.exchangeUrl,
        form({ grant_type: 'access_token', service: REGISTRY, tenant: SP.tenant, access_token: accessToken }),
        FORM,
      );
    assert.is((await exchangeAt(Z, token)).status, 401, 'not trusted by default');
    const exchanged = await exchangeAt(trusting, token);
    assert.is(exchanged.status, 200);
    assert.ok(trusting.registryLogin(azureFixture.ACR_REFRESH_USERNAME, (await exchanged.json()).refresh_token));
    assert.is((await exchangeAt(trusting, `${token}x`)).status, 401, 'a forged one still is not');
  } finally {
    await Promise.all([trusting.stop(), identity.stop()]);
  }
});

az('faults: 503, 429 with Retry-After, malformed, failWith', async () => {
  Z.faults.fail(1, 503);
  assert.is((await entra()).status, 503);
  Z.faults.throttle(1, 3);
  const throttled = await entra();
  assert.equal([throttled.status, throttled.headers.get('retry-after')], [429, '3']);
  Z.faults.malformed(1);
  const garbled = await (await entra()).text();
  assert.throws(() => JSON.parse(garbled));
  Z.failWith(1, 500, { errors: [{ code: 'INTERNAL', message: 'boom' }] });
  assert.is((await exchange('x')).status, 500);
  assert.equal([Z.counts.total, Z.counts.faulted], [4, 4]);
});

// ---- the token registry's validator hook ----------------------------------------------------------
const reg = suite('token-registry validators');
let R: registryFixture.TokenRegistryHandle;
const tokenGet = (user: string, pass: string) =>
  fetch(`${R.realm}?service=${R.service}&scope=repository:team/app:pull`, { headers: basic(user, pass) });

reg.before(async () => {
  A = await awsFixture.start({ keys: [KEY] });
  G = await googleFixture.start();
  Z = await azureFixture.start({ clients: [SP] });
  R = await registryFixture.start({ validators: [A.registryLogin, G.registryLogin, Z.registryLogin] });
});
reg.after(async () => {
  await Promise.all([R.stop(), A.stop(), G.stop(), Z.stop()]);
});

reg("accepts each cloud's registry credential and refuses look-alikes", async () => {
  const ecrToken = (await (await ecr()).json()).authorizationData[0].authorizationToken;
  const ecrPassword = Buffer.from(ecrToken, 'base64').toString().slice(4);
  const key = G.makeServiceAccountKey();
  const gcpToken = (await (await jwtGrant(googleFixture.signAssertion(key))).json()).access_token;
  const aad = (await (await entra()).json()).access_token;
  const acrRefresh = (await (await exchange(aad)).json()).refresh_token;

  assert.is((await tokenGet('AWS', ecrPassword)).status, 200);
  assert.is((await tokenGet(googleFixture.ACCESS_TOKEN_USERNAME, gcpToken)).status, 200);
  assert.is((await tokenGet(azureFixture.ACR_REFRESH_USERNAME, acrRefresh)).status, 200);
  assert.is((await tokenGet('AWS', gcpToken)).status, 401);
  assert.is((await tokenGet(googleFixture.ACCESS_TOKEN_USERNAME, ecrPassword)).status, 401);
  assert.is((await tokenGet('iambearer', 'anything')).status, 401, 'no IAM fixture given: iambearer is refused');

  // docker's identity-token flow: the refresh token posted to the realm (distribution's OAuth2 grant).
  const posted = (refreshToken: string) =>
    post(
      R.realm,
      form({
        grant_type: 'refresh_token',
        refresh_token: refreshToken,
        service: R.service,
        scope: 'repository:team/app:pull repository:team/app:push',
        client_id: 'docker',
      }),
      FORM,
    );
  const granted = await posted(acrRefresh);
  assert.is(granted.status, 200);
  const access = decodeJwt((await granted.json()).access_token)!.payload;
  assert.equal(access.access, [
    { type: 'repository', name: 'team/app', actions: ['pull'] },
    { type: 'repository', name: 'team/app', actions: ['push'] },
  ]);
  assert.is((await posted(`${acrRefresh}x`)).status, 401);
  assert.is(R.counts.issued, 4);
  assert.is(R.counts.rejected, 4);
});

sig.run();
aws.run();
gcp.run();
az.run();
reg.run();
