// The azure-acr provider in process against the Entra + ACR stand-in (test/fixtures/azure.ts): the exchange
// answers an ACR refresh token as docker's identity token with its `exp` as lifetime; each AADSTS code is named
// with what to do and classified permanent; throttling, 5xx and OAuth's temporarily_unavailable are transient
// with Retry-After; ACR's 401 names the missing role; broken answers from the exchange are not trusted. And the
// inference: only a `login` with --tenant on an *.azurecr.* host makes this kind; a `store` there stays static.
import type { IssueContext } from '../../src/clouds/provider.js';
import { loadConfig } from '../../src/config.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type http from 'node:http';
import { randomBytes } from 'node:crypto';
import { asRemoteFailure, describeError, isPermanent, UserError } from '../../src/errors.js';
import { isAcrHost } from '../../src/clouds/azure/hosts.js';
import type { MappingEntry } from '../../src/mapping/types.js';
import { azureAcrProvider } from '../../src/clouds/azure/acr-provider.js';
import { inferKind, loginKind } from '../../src/clouds/infer-kind.js';
import { IDENTITY_TOKEN_USERNAME } from '../../src/clouds/cloud.js';
import * as azureFixture from '../fixtures/azure.js';
import { encodeJwt, listen, nowSeconds, sendJson, type Served } from '../fixtures/support.js';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0';
const SECRET = `acr~secret-${randomBytes(12).toString('hex')}`;
const REGISTRY = 'contoso.azurecr.io';
const LIFETIME_S = 600;

let az: azureFixture.AzureHandle;
/** Another Entra + ACR: its exchange refuses tokens our authority signed (as a registry without a role would). */
let foreign: azureFixture.AzureHandle;
/** An exchange answering whatever `stubAnswer` says. */
let stub: Served;
let stubAnswer: unknown = {};

function entryOf(options: Record<string, string>, server = REGISTRY, username = CLIENT): MappingEntry {
  return {
    server,
    serverURL: server,
    kind: 'azure-acr',
    username,
    store: 'env',
    secretRef: 'UNUSED',
    options,
    updatedAt: new Date().toISOString(),
  };
}
const entry = (extra: Record<string, string> = {}) => entryOf({ tenant: TENANT, acrEndpoint: az.url, ...extra });

/** The provider's refusal: a RemoteFailure whose one-line message never holds the secret. */
async function refusal(login: MappingEntry, secret = SECRET) {
  try {
    await azureAcrProvider.issue(login, secret, issueContext);
  } catch (error) {
    const failure = asRemoteFailure(error);
    assert.ok(failure, `a remote failure, not ${describeError(error)}`);
    assert.not.ok(failure!.message.includes(secret), `the secret is in: ${failure!.message}`);
    assert.not.match(failure!.message, /\n|\r|Trace ID/, `one line without Entra's trace: ${failure!.message}`);
    return failure!;
  }
  return assert.unreachable('the exchange succeeded') as never;
}

const provider = suite('provider');
let issueContext: IssueContext;

provider.before(async () => {
  az = await azureFixture.start({
    clients: [{ tenant: TENANT, clientId: CLIENT, clientSecret: SECRET }],
    refreshTokenLifetimeSeconds: LIFETIME_S,
  });
  foreign = await azureFixture.start({ clients: [] });
  stub = await listen((_req: http.IncomingMessage, res: http.ServerResponse) => sendJson(res, 200, stubAnswer));
  issueContext = { config: loadConfig({ AZURE_AUTHORITY_HOST: az.authorityUrl }) };
});
provider.after(async () => {
  await Promise.all([az?.stop(), foreign?.stop(), stub?.stop()]);
});
provider.before.each(() => {
  az.faults.reset();
  az.resetCounts();
});

provider('the secret becomes an ACR refresh token, answered as an identity token living until its exp', async () => {
  const before = Date.now();
  const issued = await azureAcrProvider.issue(entry(), SECRET, issueContext);
  assert.is(issued.username, IDENTITY_TOKEN_USERNAME);
  const check = az.validateRefreshToken(issued.secret);
  assert.ok(check.ok && check.subject === CLIENT && check.service === REGISTRY, JSON.stringify(check));
  assert.is(issued.expiresAt, check.ok ? check.exp * 1000 : 0, 'the lifetime is the token’s exp');
  assert.ok(Math.abs(issued.expiresAt! - (before + LIFETIME_S * 1000)) < 2000, 'about the stand-in’s lifetime');
  assert.equal(az.counts.byEndpoint, { entra: 1, exchange: 1 });
  assert.is(issued.identity, `${CLIENT} in tenant ${TENANT}`, 'whom the registry issued it to (for doctor)');
  assert.ok(az.registryLogin(azureFixture.ACR_REFRESH_USERNAME, issued.secret), 'the registry takes it');
});

provider('each AADSTS code is named, permanent, with what to do', async () => {
  const stranger = 'ffffffff-0000-0000-0000-000000000000';
  const cases: Array<[MappingEntry, string, RegExp]> = [
    [entry(), 'not-the-secret', /AADSTS7000215: the client secret is wrong or was deleted .*Value, not its Secret ID/],
    [entryOf({ tenant: 'other-tenant', acrEndpoint: az.url }), SECRET, /AADSTS90002: tenant other-tenant was not/],
    [
      entryOf({ tenant: TENANT, acrEndpoint: az.url }, REGISTRY, stranger),
      SECRET,
      new RegExp(`AADSTS700016: no application ${stranger} in tenant ${TENANT}: check -u`),
    ],
  ];
  for (const [login, secret, expected] of cases) {
    const failure = await refusal(login, secret);
    assert.ok(failure.permanent, failure.message);
    assert.match(failure.message, /^Microsoft Entra ID at http:\/\/127\.0\.0\.1:\d+ refused/);
    assert.match(failure.message, expected);
    assert.match(failure.message, `login ${REGISTRY} -u ${login.username} --tenant ${login.options!.tenant}`);
  }
  az.expireSecret(CLIENT);
  try {
    const expired = await refusal(entry());
    assert.ok(expired.permanent);
    assert.match(expired.message, /AADSTS7000222: the client secret has expired: create a new one \(az ad app/);
  } finally {
    az.addClient({ tenant: TENANT, clientId: CLIENT, clientSecret: SECRET });
  }
  const unknown = { error: 'invalid_request', error_description: 'AADSTS50059: No tenant-identifying information' };
  az.failWith(1, 400, { ...unknown, error_codes: [50059] });
  const other = await refusal(entry());
  assert.ok(other.permanent);
  assert.match(other.message, /400 \(AADSTS50059: No tenant-identifying information\)/, 'Entra’s own words');
});

provider('429 (with Retry-After), 5xx and temporarily_unavailable are transient', async () => {
  az.faults.throttle(1, 7);
  const throttled = await refusal(entry());
  assert.equal([throttled.permanent, throttled.retryAfterMs], [false, 7000]);
  assert.match(throttled.message, /answered 429/);
  az.faults.fail(1, 503);
  assert.not.ok(isPermanent(await refusal(entry())), '503');
  az.failWith(1, 400, { error: 'temporarily_unavailable', error_description: 'AADSTS90033: A transient error' });
  const busy = await refusal(entry());
  assert.not.ok(busy.permanent, busy.message);
  assert.match(busy.message, /AADSTS90033/);
});

provider("ACR's 401 says the principal has no role there: permanent", async () => {
  const failure = await refusal(entry({ acrEndpoint: foreign.url }));
  assert.ok(failure.permanent);
  assert.match(failure.message, `the registry ${REGISTRY} at ${foreign.url} refused the exchange with 401`);
  assert.match(failure.message, `service principal ${CLIENT} has no role on this registry: grant it AcrPull`);
});

provider("the exchange's answer is not trusted: no token, an expired one, a far exp, no exp", async () => {
  const jwt = (claims: Record<string, unknown>) =>
    encodeJwt({ alg: 'none' }, { grant_type: 'refresh_token', ...claims }, () => Buffer.alloc(0));
  stubAnswer = { token: 'wrong field' };
  const missing = await refusal(entry({ acrEndpoint: stub.url }));
  assert.equal([missing.permanent, /without a refresh_token/.test(missing.message)], [false, true], missing.message);
  stubAnswer = { refresh_token: jwt({ exp: nowSeconds() - 5 }) };
  const dead = await refusal(entry({ acrEndpoint: stub.url }));
  assert.equal([dead.permanent, /cannot be used/.test(dead.message)], [false, true], dead.message);
  stubAnswer = { refresh_token: jwt({ exp: nowSeconds() + 10 * 365 * 86_400 }) };
  const far = await azureAcrProvider.issue(entry({ acrEndpoint: stub.url }), SECRET, issueContext);
  assert.ok(far.expiresAt! - far.issuedAt <= 24 * 3600_000, 'a lifetime counts for a day at most');
  stubAnswer = { refresh_token: 'opaque-token' };
  const opaque = await azureAcrProvider.issue(entry({ acrEndpoint: stub.url }), SECRET, issueContext);
  assert.is(opaque.expiresAt! - opaque.issuedAt, 3600_000, 'a token without a readable exp: one hour');
});

provider('a login the provider cannot use is a user error before any request', async () => {
  const cases: Array<[MappingEntry, RegExp]> = [
    [entryOf({ acrEndpoint: 'http://127.0.0.1:9' }), /has no tenant: log in again with --tenant/],
    [entryOf({ tenant: 'a/b', acrEndpoint: 'http://127.0.0.1:9' }), /has the tenant "a\/b"/],
    [entryOf({ tenant: TENANT }, '*.azurecr.io'), /one registry, not a pattern like \*\.azurecr\.io/],
    [entryOf({ tenant: TENANT }, 'registry.example.com'), /no \*\.azurecr\.\* host: .*--acr-endpoint/],
  ];
  for (const [login, expected] of cases) {
    try {
      await azureAcrProvider.issue(login, SECRET, issueContext);
      assert.unreachable(`${login.server} was exchanged`);
    } catch (error) {
      assert.instance(error, UserError, describeError(error));
      assert.match((error as Error).message, expected);
    }
  }
  assert.is(az.counts.total, 0, 'nothing was sent');
});

provider.run();

// ---- which logins are of this kind -----------------------------------------------------------------
const inference = suite('inference');

inference('ACR hosts: the three clouds, one label, anchored', () => {
  for (const host of ['contoso.azurecr.io', 'contoso.azurecr.cn', 'contoso.azurecr.us', 'my-reg-abc123.azurecr.io'])
    assert.ok(isAcrHost(host), host);
  for (const host of ['azurecr.io', 'a.b.azurecr.io', '*.azurecr.io', 'contoso.azurecr.io.example.com', 'x.azurecr.de'])
    assert.not.ok(isAcrHost(host), host);
  assert.not.ok(isAcrHost('contoso.azurecr.io:5000'), 'a port is no ACR host');
});

inference('a store on an ACR host stays static; a login with --tenant there is azure-acr', () => {
  for (const username of ['contoso', '00000000-0000-0000-0000-000000000000', CLIENT])
    assert.is(inferKind(REGISTRY, username), 'static', `store of ${username}`);
  assert.is(inferKind(REGISTRY, '<token>'), 'identity-token');
  assert.is(inferKind(REGISTRY, CLIENT, { tenant: TENANT }), 'azure-acr');
  assert.is(loginKind(REGISTRY, undefined, { tenant: TENANT }), 'azure-acr');
  assert.is(loginKind(REGISTRY, undefined, {}), undefined, 'no tenant: left to the stored entry or inference');
  assert.is(loginKind('registry.example.com', 'azure-acr', { tenant: TENANT }), 'azure-acr');
});

inference('--tenant belongs to azure-acr logins and they need it', () => {
  const refused: Array<[string, Parameters<typeof loginKind>[1], Record<string, string>, RegExp]> = [
    ['registry.example.com', undefined, { tenant: TENANT }, /--tenant is for azure-acr logins: add --kind azure-acr/],
    [REGISTRY, 'static', { tenant: TENANT }, /--tenant is for azure-acr logins: not static ones/],
    [REGISTRY, 'azure-acr', {}, /--kind azure-acr needs --tenant/],
  ];
  for (const [server, kind, options, expected] of refused)
    assert.throws(() => loginKind(server, kind, options), expected, `${server} ${kind}`);
});

inference.run();
