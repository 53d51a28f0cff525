// OpenShift logins: with --api-server/--namespace/--service-account the stored long-lived caller token
// mints short-lived bound service-account tokens through the TokenRequest API (Kubernetes API stand-in,
// test/fixtures/kube-api.ts); without them the stored token (`oc whoami -t`) passes through, and an
// expired JWT is refused with a clear error. Plain HTTP on loopback, and HTTPS with --ca-file.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as kubeFixture from '../fixtures/kube-api.js';
import { stopAll } from './support/lifecycle.js';
import type { Sandbox } from './support/sandbox.js';
import { assertOneLineError, assertNoLeak } from './support/asserts.js';
import { NOT_FOUND } from './support/helper.js';
import { describe, type RunResult } from './support/run.js';
import {
  assertNoSecretOnDisk,
  cacheRecord,
  fileStoreSandbox,
  getWith,
  loginOk,
  parseCreds,
} from './support/exchange-env.js';

const CALLER = `sha256~caller-${randomBytes(24).toString('base64url')}`;
const OPAQUE = `sha256~whoami-${randomBytes(24).toString('base64url')}`;
const UNKNOWN_CALLER = `sha256~unknown-${randomBytes(24).toString('base64url')}`;
const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const jwt = (exp: number) => {
  const claims = { sub: 'system:serviceaccount:ns:user', exp, nonce: randomBytes(8).toString('hex') };
  return `${b64({ alg: 'RS256', kid: 'x' })}.${b64(claims)}.${randomBytes(32).toString('base64url')}`;
};
const EXPIRED_JWT = jwt(Math.floor(Date.now() / 1000) - 600);
const VALID_JWT = jwt(Math.floor(Date.now() / 1000) + 3600);

let sb: Sandbox;
let kube: kubeFixture.KubeHandle | undefined;
let capped: kubeFixture.KubeHandle | undefined;
let tls: kubeFixture.KubeHandle | undefined;

test.before(async () => {
  sb = fileStoreSandbox('exchange-openshift');
  const common = { callers: [CALLER], serviceAccounts: ['ns/sa'] };
  kube = await kubeFixture.start(common);
  capped = await kubeFixture.start({ ...common, maxExpirationSeconds: 1200 });
  tls = await kubeFixture.start({ ...common, tls: true });
});

test.after(async () => {
  await stopAll(
    'exchange-openshift',
    [kube, capped, tls].map((handle) => ['kube', handle && (() => handle.stop())]),
  );
  sb?.cleanup();
});

const mintFlags = (apiServer: string, extra: string[] = []) => [
  '--kind',
  'openshift',
  '--api-server',
  apiServer,
  '--namespace',
  'ns',
  '--service-account',
  'sa',
  ...extra,
];

function assertRealError(r: RunResult, what: string, pattern: RegExp): void {
  assertOneLineError(r, what);
  assert.is.not(r.stdout.trim(), NOT_FOUND, `${what}: a real failure disguised as not-found\n${describe(r)}`);
  assert.match(r.stdout, pattern, `${what}: unexpected error text\n${describe(r)}`);
  for (const secret of [CALLER, OPAQUE, UNKNOWN_CALLER, EXPIRED_JWT]) assertNoLeak(r, secret, what);
}

/** Seconds between now and the minted token's expiry, as the API server set it. */
const secondsLeft = (exp: number) => exp - Date.now() / 1000;

test('mints a bound service-account token: get answers it; one TokenRequest serves 10 gets', async () => {
  const server = 'mint.openshift.test';
  await loginOk(sb.env, server, 'robot', CALLER, mintFlags(kube!.url));
  const answers = [];
  for (let i = 0; i < 10; i++) answers.push(parseCreds(await getWith(sb.env, server), `get ${i}`));
  assert.equal([...new Set(answers.map((a) => a.Secret))].length, 1, 'the same token every time');
  const { Username, Secret } = answers[0]!;
  assert.is(Username, 'robot');
  assert.is.not(Secret, CALLER, 'not the caller token');
  const check = kube!.validateToken(Secret);
  assert.ok(check.ok, `the API server accepts the minted token: ${JSON.stringify(check)}`);
  if (check.ok) {
    assert.equal([check.namespace, check.serviceAccount], ['ns', 'sa']);
    assert.ok(Math.abs(secondsLeft(check.exp) - 3600) < 10, `default 1 h validity, got ${secondsLeft(check.exp)} s`);
    const cached = cacheRecord(sb, server)?.token;
    assert.is(cached?.secret, Secret);
    assert.ok(
      Math.abs(cached!.expiresAt! - check.exp * 1000) < 1000,
      'the cache expires with the token (expirationTimestamp)',
    );
  }
  assert.is(kube!.counts.tokenRequests, 1, `one TokenRequest for 10 gets: ${JSON.stringify(kube!.counts)}`);
  assert.equal(kube!.counts.byServiceAccount, { 'ns/sa': 1 });
});

test('an API server that shortens expirationSeconds: lanyard trusts expirationTimestamp', async () => {
  const server = 'capped.openshift.test';
  await loginOk(sb.env, server, 'robot', CALLER, mintFlags(capped!.url));
  const { Secret } = parseCreds(await getWith(sb.env, server), 'get');
  const check = capped!.validateToken(Secret);
  assert.ok(check.ok, JSON.stringify(check));
  if (check.ok)
    assert.ok(Math.abs(secondsLeft(check.exp) - 1200) < 10, `capped to 1200 s: ${secondsLeft(check.exp)} s`);
  const token = cacheRecord(sb, server)!.token!;
  const lifetime = (token.expiresAt! - token.issuedAt) / 1000;
  assert.ok(
    Math.abs(lifetime - 1200) < 10,
    `the cache uses the granted 1200 s, not the requested 3600 s: ${lifetime} s`,
  );
});

test('expirationSeconds of the mapping entry is requested, and raised to the API minimum of 600 s', async () => {
  // `login` has no flag for it: the provider reads options.expirationSeconds from the (user-editable) mapping.
  const server = 'expiry.openshift.test';
  await loginOk(sb.env, server, 'robot', CALLER, mintFlags(kube!.url));
  const setExpiration = (value: string) => {
    const mapping = JSON.parse(readFileSync(sb.mappingFile, 'utf8'));
    const entry = mapping.entries.find((e: { server: string }) => e.server === server);
    entry.options.expirationSeconds = value;
    writeFileSync(sb.mappingFile, JSON.stringify(mapping, null, 2));
  };
  for (const [requested, granted] of [
    ['900', 900],
    ['60', 600],
  ] as const) {
    setExpiration(requested);
    const before = kube!.counts.tokenRequests;
    const { Secret } = parseCreds(await getWith(sb.env, server), `get with expirationSeconds ${requested}`);
    assert.is(kube!.counts.tokenRequests - before, 1, 'a changed entry mints a new token');
    const check = kube!.validateToken(Secret);
    assert.ok(check.ok, JSON.stringify(check));
    if (check.ok)
      assert.ok(
        Math.abs(secondsLeft(check.exp) - granted) < 10,
        `expirationSeconds ${requested} -> ${granted} s, got ${secondsLeft(check.exp)} s`,
      );
  }
});

test('without --api-server an opaque `oc whoami -t` token passes through; the cache never holds it', async () => {
  const server = 'whoami.openshift.test';
  await loginOk(sb.env, server, 'developer', OPAQUE, ['--kind', 'openshift']);
  const requests = kube!.counts.total;
  for (let i = 0; i < 3; i++) {
    const creds = parseCreds(await getWith(sb.env, server), `get ${i}`);
    assert.equal([creds.Username, creds.Secret], ['developer', OPAQUE]);
  }
  assert.is(kube!.counts.total, requests, 'no API server involved');
  const record = cacheRecord(sb, server);
  assert.not.ok(record?.token, 'no token cached for a pass-through');
  assert.not.ok(JSON.stringify(record ?? {}).includes(OPAQUE), 'the long-lived token is not copied into the cache');
});

test('a stored JWT passes through while valid; an expired one gives a clear error, not not-found', async () => {
  await loginOk(sb.env, 'jwt.openshift.test', 'developer', VALID_JWT, ['--kind', 'openshift']);
  const ok = parseCreds(await getWith(sb.env, 'jwt.openshift.test'), 'get valid JWT');
  assert.is(ok.Secret, VALID_JWT);

  const server = 'expired.openshift.test';
  await loginOk(sb.env, server, 'developer', EXPIRED_JWT, ['--kind', 'openshift']);
  const r = await getWith(sb.env, server);
  assertRealError(r, 'get with an expired JWT', /expired.*log in again/);
  assert.match(r.stdout, server);
});

test('an unknown caller token: a permanent 401 error; 5 concurrent gets cause 1 API request', async () => {
  const server = 'unauthorized.openshift.test';
  await loginOk(sb.env, server, 'robot', UNKNOWN_CALLER, mintFlags(kube!.url));
  const before = kube!.counts.unauthorized;
  const rs = await Promise.all(Array.from({ length: 5 }, () => getWith(sb.env, server, 30_000)));
  for (const [i, r] of rs.entries()) {
    assertRealError(r, `get ${i}`, /Kubernetes API at http:\/\/127\.0\.0\.1:\d+ answered 401/);
  }
  assert.is(kube!.counts.unauthorized - before, 1, 'one refused request, not one per get');
});

test('HTTPS API server: --ca-file makes it work; without the CA a clear certificate error', async () => {
  await loginOk(sb.env, 'tls.openshift.test', 'robot', CALLER, mintFlags(tls!.url, ['--ca-file', tls!.caFile!]));
  const { Secret } = parseCreds(await getWith(sb.env, 'tls.openshift.test'), 'get over HTTPS with --ca-file');
  assert.ok(tls!.validateToken(Secret).ok);
  assert.is(tls!.counts.tokenRequests, 1);

  await loginOk(sb.env, 'notrust.openshift.test', 'robot', CALLER, mintFlags(tls!.url));
  const before = tls!.counts.total;
  const r = await getWith(sb.env, 'notrust.openshift.test');
  assertRealError(
    r,
    'get over HTTPS without the CA',
    /cannot get a token for notrust\.openshift\.test: .*(certificate|issuer|self.signed|CERT)/i,
  );
  console.log(`[exchange-openshift] without the CA: ${r.stdout.trim()}`);
  assert.is(tls!.counts.total, before, 'no HTTP request got through the TLS handshake');
});

test('secrets never on disk outside the store: no caller or pass-through token in log, mapping or cache', async () => {
  assertNoSecretOnDisk(sb, {
    'caller token': CALLER,
    'oc whoami token': OPAQUE,
    'unknown caller token': UNKNOWN_CALLER,
    'valid JWT': VALID_JWT,
    'expired JWT': EXPIRED_JWT,
  });
});

test.run();
