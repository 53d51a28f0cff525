// The gcp kind in process, against the Google token endpoint stand-in (test/fixtures/google.ts): which logins
// are inferred as gcp and which stay static, key files checked at login (one line, never the key), the JWT-bearer
// and refresh-token grants, and Google's errors classified by their code, sanitised, with what to do.
import type { IssueContext } from '../../src/clouds/provider.js';
import { loadConfig } from '../../src/config.js';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { isPermanent, ServiceRefusedError, UserError } from '../../src/errors.js';
import { mappedRegistries } from '../../src/integrations/mapped-registries.js';
import type { MappingEntry } from '../../src/mapping/types.js';
import { gcpProvider } from '../../src/clouds/gcp/provider.js';
import { acceptGoogleLogin } from '../../src/clouds/gcp/google-key.js';
import { GOOGLE_REGISTRY_HOSTS } from '../../src/clouds/gcp/hosts.js';
import { inferKind } from '../../src/clouds/infer-kind.js';
import * as googleFixture from '../fixtures/google.js';

const entryFor = (server = 'us-docker.pkg.dev'): MappingEntry => ({
  server,
  serverURL: server,
  kind: 'gcp',
  username: 'someone',
  store: 'env',
  secretRef: 'UNUSED',
  updatedAt: new Date().toISOString(),
});

/** The error `action` rejects with (fails the test if it resolves). */
async function rejection(action: () => Promise<unknown>): Promise<Error> {
  try {
    await action();
  } catch (error) {
    return error as Error;
  }
  return assert.unreachable('expected a rejection') as never;
}

function thrown(action: () => unknown): Error {
  try {
    action();
  } catch (error) {
    return error as Error;
  }
  return assert.unreachable('expected an error') as never;
}

// ---- hosts and inference ---------------------------------------------------------------------------
const hosts = suite('hosts');

hosts('a key file on a Google registry is gcp; a pasted access token and other hosts stay static', () => {
  for (const host of ['gcr.io', 'eu.gcr.io', 'us-docker.pkg.dev', 'europe-west3-docker.pkg.dev', 'docker.pkg.dev']) {
    assert.is(inferKind(host, ''), 'gcp', `${host}, no username (login < key.json)`);
    assert.is(inferKind(host, '_json_key'), 'gcp', `${host}, _json_key`);
    assert.is(inferKind(host, '_json_key_base64'), 'gcp', `${host}, _json_key_base64`);
    assert.is(inferKind(host, 'oauth2accesstoken'), 'static', `${host}, a pasted access token`);
    assert.is(inferKind(host, '_dcgcr_2_1_8_token'), 'static', `${host}, docker-credential-gcr's username`);
  }
  assert.is(inferKind('docker.us-central1.rep.pkg.dev', ''), 'gcp', 'regional endpoint');
  for (const pattern of ['*.gcr.io', '*-docker.pkg.dev', 'docker.*.rep.pkg.dev']) {
    assert.is(inferKind(pattern, ''), 'gcp', pattern);
  }
  for (const other of ['quay.io', 'gcr.io.example.com', 'evilgcr.io', 'us-npm.pkg.dev', '*.io', 'gcr.io:5000']) {
    assert.is(inferKind(other, '_json_key'), 'static', other);
  }
});

hosts('configure expands Google patterns into the registry hosts docker-credential-gcr knows', () => {
  const entry = (server: string): MappingEntry => ({ ...entryFor(server), server });
  const { registries, unexpanded } = mappedRegistries({
    version: 1,
    entries: [entry('*.gcr.io'), entry('*-docker.pkg.dev'), entry('docker.*.rep.pkg.dev')],
  });
  assert.equal(unexpanded, []);
  for (const host of [
    'us.gcr.io',
    'eu.gcr.io',
    'asia.gcr.io',
    'marketplace.gcr.io',
    'us-docker.pkg.dev',
    'europe-docker.pkg.dev',
    'us-central1-docker.pkg.dev',
    'asia-northeast3-docker.pkg.dev',
    'docker.europe-west12.rep.pkg.dev',
  ]) {
    assert.ok(registries.includes(host), host);
  }
  assert.not.ok(registries.includes('gcr.io'), '*.gcr.io does not match gcr.io (one label per *)');
  assert.ok(registries.length > 80, `${registries.length} hosts`);
});

// gcloud's list, where google-cloud-cli is installed (Debian's package; CI installs it for the google-auth test).
const GCLOUD_DOCKER_CONSTANTS = '/usr/lib/google-cloud-sdk/lib/googlecloudsdk/core/docker/constants.py';

hosts('every registry host gcloud and docker-credential-gcr name is known, the newest regions too', () => {
  for (const host of ['us-east7-docker.pkg.dev', 'us-central2-docker.pkg.dev', 'asia-southeast3-docker.pkg.dev']) {
    assert.ok(GOOGLE_REGISTRY_HOSTS.includes(host), host);
    assert.is(inferKind(host, ''), 'gcp', host);
  }
  for (const host of ['docker.us-west8.rep.pkg.dev', 'k8s.gcr.io', 'staging-k8s.gcr.io', 'mirror.gcr.io']) {
    assert.ok(GOOGLE_REGISTRY_HOSTS.includes(host), host);
  }
  if (!existsSync(GCLOUD_DOCKER_CONSTANTS)) return console.log(`  (no ${GCLOUD_DOCKER_CONSTANTS}: not compared)`);
  const named = readFileSync(GCLOUD_DOCKER_CONSTANTS, 'utf8').match(/'[a-z0-9.-]+\.(?:gcr\.io|pkg\.dev)'/g) ?? [];
  assert.ok(named.length > 90, `${named.length} hosts in gcloud's list`);
  const missing = named.map((quoted) => quoted.slice(1, -1)).filter((host) => !GOOGLE_REGISTRY_HOSTS.includes(host));
  assert.equal(missing, [], "hosts of gcloud's list lanyard does not know");
});

hosts.run();

// ---- key files at login ----------------------------------------------------------------------------
const keys = suite('keys');
let G: googleFixture.GoogleHandle;
keys.before(async () => {
  G = await googleFixture.start();
});
keys.after(async () => {
  await G?.stop();
});

keys('a service-account key is stored as given, under its client_email; base64 of it is decoded', () => {
  const key = G.makeServiceAccountKey();
  const text = JSON.stringify(key, null, 2);
  assert.equal(acceptGoogleLogin({ username: '', secret: `${text}\n` }), { username: key.client_email, secret: text });
  assert.equal(acceptGoogleLogin({ username: '_json_key', secret: text }), {
    username: key.client_email,
    secret: text,
  });
  const base64 = Buffer.from(text)
    .toString('base64')
    .replace(/(.{76})/g, '$1\n');
  assert.equal(acceptGoogleLogin({ username: '_json_key_base64', secret: base64 }), {
    username: key.client_email,
    secret: text,
  });
});

keys('an authorized_user file is shown as its account, or as authorized_user', () => {
  const file = G.makeAuthorizedUser();
  assert.is(acceptGoogleLogin({ username: '', secret: JSON.stringify(file) }).username, 'authorized_user');
  const named = JSON.stringify({ ...file, account: 'me@example.com' });
  assert.is(acceptGoogleLogin({ username: '', secret: named }).username, 'me@example.com');
});

keys('a bad key file is refused in one line naming what is wrong, never quoting the key', () => {
  const key = G.makeServiceAccountKey();
  const { privateKey: ecKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ec = ecKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const cases: Array<[string, string, RegExp]> = [
    ['not JSON', `x${JSON.stringify(key)}`, /is not JSON/],
    ['a list', '[]', /must be a JSON object/],
    ['no type', JSON.stringify({ ...key, type: undefined }), /type is missing/],
    ['another type', JSON.stringify({ ...key, type: 'gdch_service_account' }), /type must be one of .*"gdch_service/],
    ['a pointer file', JSON.stringify({ ...key, type: 'external_account' }), /is an external_account file: .*gcp-adc/],
    ['no email', JSON.stringify({ ...key, client_email: '' }), /client_email must not be empty/],
    [
      'a broken key',
      JSON.stringify({ ...key, private_key: key.private_key.slice(0, 200) }),
      /private_key is not a PEM/,
    ],
    ['an EC key', JSON.stringify({ ...key, private_key: ec }), /private_key is an ec key, not RSA/],
    ['http token_uri', JSON.stringify({ ...key, token_uri: 'http://oauth2.example.com/token' }), /must use https/],
    ['no refresh token', JSON.stringify({ ...G.makeAuthorizedUser(), refresh_token: 7 }), /refresh_token must be a/],
  ];
  for (const [what, secret, expected] of cases) {
    const error = thrown(() => acceptGoogleLogin({ username: '', secret }));
    assert.instance(error, UserError, what);
    assert.match(error.message, expected, what);
    assert.not.match(error.message, /\n|PRIVATE KEY|MII/, `${what}: ${error.message}`);
  }
  const base64 = thrown(() => acceptGoogleLogin({ username: '_json_key_base64', secret: '{"type":"x"}' }));
  assert.match(base64.message, /_json_key_base64 password is not base64/);
});

keys.run();

// ---- exchanges -------------------------------------------------------------------------------------
const exchange = suite('exchange');
// The key names its own token_uri (the stand-in): nothing comes from the configuration.
const issueContext: IssueContext = { config: loadConfig({}) };
exchange.before(async () => {
  G = await googleFixture.start();
});
exchange.after(async () => {
  await G?.stop();
});
exchange.before.each(() => {
  G.faults.reset();
  G.setTokenLifetime(3599);
});

exchange(
  'a service-account key: a signed assertion the stand-in verifies, an hour-long token, the identity',
  async () => {
    const key = G.makeServiceAccountKey();
    const before = Date.now();
    const issued = await gcpProvider.issue(entryFor(), JSON.stringify(key), issueContext);
    assert.is(issued.username, 'oauth2accesstoken');
    assert.is(G.registryLogin(issued.username, issued.secret), key.client_email, 'the registry takes the token');
    assert.is(issued.identity, key.client_email);
    const lifetime = issued.expiresAt! - issued.issuedAt;
    assert.ok(Math.abs(lifetime - 3599_000) < 1000 && issued.issuedAt >= before, `lifetime ${lifetime}`);
    assert.equal(G.counts.byGrant, { 'jwt-bearer': 1 });
  },
);

exchange('an authorized_user file: the refresh-token grant', async () => {
  const file = G.makeAuthorizedUser();
  const issued = await gcpProvider.issue(entryFor(), JSON.stringify(file), issueContext);
  assert.is(G.registryLogin('oauth2accesstoken', issued.secret), `user:${file.client_id}`);
  assert.is(issued.identity, undefined);
});

exchange('invalid_grant for a deleted key: permanent, names the code, the account and the fix', async () => {
  const key = G.makeServiceAccountKey();
  G.revokeKey(key.private_key_id);
  const error = await rejection(() => gcpProvider.issue(entryFor('eu.gcr.io'), JSON.stringify(key), issueContext));
  assert.instance(error, ServiceRefusedError);
  assert.ok(isPermanent(error));
  assert.match(error.message, 'invalid_grant: Invalid JWT Signature.');
  assert.match(error.message, key.client_email);
  assert.match(
    error.message,
    'create a new key and log in again: docker-credential-lanyard login eu.gcr.io --password',
  );
  const elsewhere = await rejection(() =>
    gcpProvider.issue(entryFor('registry.corp'), JSON.stringify(key), issueContext),
  );
  assert.match(elsewhere.message, 'login registry.corp --kind gcp --password-stdin < key.json');
});

exchange("invalid_grant for the assertion's times: the clock is named", async () => {
  G.failWith(
    1,
    400,
    'invalid_grant',
    'Invalid JWT: Token must be a short-lived token (60 minutes) and in a ' +
      'reasonable timeframe. Check your iat and exp values in the JWT claim.',
  );
  const error = await rejection(() =>
    gcpProvider.issue(entryFor(), JSON.stringify(G.makeServiceAccountKey()), issueContext),
  );
  assert.ok(isPermanent(error));
  assert.match(error.message, "this machine's clock is probably wrong");
});

exchange('a revoked refresh token and a wrong client secret: permanent, with what to do', async () => {
  const file = G.makeAuthorizedUser();
  const wrong = await rejection(() =>
    gcpProvider.issue(entryFor(), JSON.stringify({ ...file, client_secret: 'not-the-secret' }), issueContext),
  );
  assert.ok(isPermanent(wrong));
  assert.match(wrong.message, 'invalid_client: Unauthorized');
  assert.match(wrong.message, 'client_id or client_secret is wrong');
  G.revokeRefreshToken(file.refresh_token);
  const revoked = await rejection(() => gcpProvider.issue(entryFor(), JSON.stringify(file), issueContext));
  assert.ok(isPermanent(revoked));
  assert.match(revoked.message, 'invalid_grant: Token has been expired or revoked.');
  assert.match(revoked.message, 'gcloud auth application-default login');
  assert.not.match(revoked.message, file.refresh_token);
});

exchange('429 and 5xx are transient; Retry-After is kept; unauthorized_client is permanent', async () => {
  const secret = JSON.stringify(G.makeServiceAccountKey());
  G.faults.throttle(1, 7);
  const throttled = (await rejection(() => gcpProvider.issue(entryFor(), secret, issueContext))) as ServiceRefusedError;
  assert.equal([throttled.permanent, throttled.status, throttled.retryAfterMs], [false, 429, 7000]);
  assert.match(throttled.message, 'rate_limit_exceeded');
  G.faults.fail(1, 503);
  const failed = (await rejection(() => gcpProvider.issue(entryFor(), secret, issueContext))) as ServiceRefusedError;
  assert.equal([failed.permanent, failed.status], [false, 503]);
  G.failWith(1, 400, 'temporarily_unavailable', 'try later');
  assert.not.ok(
    isPermanent(await rejection(() => gcpProvider.issue(entryFor(), secret, issueContext))),
    'decided by the code',
  );
  G.failWith(1, 401, 'unauthorized_client', 'Client is unauthorized to retrieve access tokens using this method.');
  const unauthorized = await rejection(() => gcpProvider.issue(entryFor(), secret, issueContext));
  assert.ok(isPermanent(unauthorized));
  assert.match(unauthorized.message, 'unauthorized_client: Client is unauthorized');
});

exchange('what Google says is sanitised: control characters escaped, secrets masked, length capped', async () => {
  const key = G.makeServiceAccountKey();
  const secret = JSON.stringify(key);
  const assertion = googleFixture.signAssertion(key);
  G.failWith(1, 400, 'invalid_grant', `bad\n\u001b[31massertion ${assertion} ${'x'.repeat(2000)}`);
  const error = await rejection(() => gcpProvider.issue(entryFor(), secret, issueContext));
  assert.not.match(error.message, /[\n\u001b]/);
  assert.ok(error.message.length < 1000, `${error.message.length} characters`);
  assert.not.match(error.message, assertion.split('.')[2]!, 'an echoed assertion is masked');
});

exchange(
  'an unusable answer is refused as transient: a short lifetime, no JSON, a token with a line break',
  async () => {
    const secret = JSON.stringify(G.makeServiceAccountKey());
    G.setTokenLifetime(5);
    const short = await rejection(() => gcpProvider.issue(entryFor(), secret, issueContext));
    assert.match(short.message, 'lifetime of 5 s');
    assert.not.ok(isPermanent(short));
    G.setTokenLifetime(3599);
    G.faults.malformed(1);
    assert.match((await rejection(() => gcpProvider.issue(entryFor(), secret, issueContext))).message, 'not JSON');
  },
);

exchange('a stored secret that is no key file fails as a user error naming the server', async () => {
  const requests = G.counts.total;
  const error = await rejection(() => gcpProvider.issue(entryFor('gcr.io'), 'AKIAnotakey', issueContext));
  assert.instance(error, UserError);
  assert.match(error.message, 'the Google key file stored for gcr.io is not JSON');
  assert.is(G.counts.total, requests, 'no request');
});

exchange.run();
