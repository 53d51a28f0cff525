// How `get` behaves when IBM Cloud IAM misbehaves: down while a cached token is valid, down after it
// expired, an invalid key (with many concurrent gets), 429 with Retry-After, dropped connections, and
// 100 concurrent gets on an empty or expired cache. IAM is the stand-in (test/fixtures/iam.ts) behind a
// recording proxy, so every request's User-Agent is known. Each test uses its own server name, so each
// has its own cache record.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import { stopAll } from './support/lifecycle.js';
import type { Sandbox } from './support/sandbox.js';
import { assertOneLineError, assertNoLeak } from './support/asserts.js';
import { NOT_FOUND, runHelper } from './support/helper.js';
import { describe, type RunResult } from './support/run.js';
import { startRecordingProxy, type RecordingProxy } from './support/exchange-proxy.js';
import {
  assertNoSecretOnDisk,
  cacheRecord,
  expireCachedToken,
  fileStoreSandbox,
  getWith,
  forgetCachedToken,
  loginIam,
  logText,
  makeCachedTokenDue,
  parseCreds,
} from './support/exchange-env.js';

const GOOD_KEY = `faults-good-${randomBytes(16).toString('hex')}`;
const BAD_KEY = `faults-bad-${randomBytes(16).toString('hex')}`;
const BURST = 100;

let sb: Sandbox;
let iam: iamFixture.IamHandle | undefined;
let proxy: RecordingProxy | undefined;
const extraIams: iamFixture.IamHandle[] = [];

test.before(async () => {
  sb = fileStoreSandbox('exchange-faults');
  iam = await iamFixture.start({ apikeys: [GOOD_KEY, BAD_KEY] });
  proxy = await startRecordingProxy(iam.url);
});

test.after(async () => {
  for (const other of extraIams) {
    try {
      await other.stop();
    } catch {
      /* already stopped */
    }
  }
  await stopAll('exchange-faults', [
    ['proxy', proxy && (() => proxy!.stop())],
    ['iam', iam && (() => iam!.stop())],
  ]);
  sb?.cleanup();
});

test.before.each(() => {
  iam!.faults.reset();
});

/**
 * `login` (whose check exchanges once and caches the token it got), then that token forgotten, as a reboot empties
 * the runtime dir: the next get must exchange, which is what these tests put under faults.
 */
async function loginUncached(server: string, key: string): Promise<void> {
  await loginIam(sb.env, server, key, proxy!.url);
  forgetCachedToken(sb, server);
}

const timed = async (action: () => Promise<RunResult>): Promise<[RunResult, number]> => {
  const started = Date.now();
  const r = await action();
  return [r, Date.now() - started];
};

/** A real failure: one line on stdout, exit 1, never disguised as not-found, never the key. */
function assertRealError(r: RunResult, what: string, pattern: RegExp): void {
  assertOneLineError(r, what);
  assert.is.not(r.stdout.trim(), NOT_FOUND, `${what}: a real failure disguised as not-found\n${describe(r)}`);
  assert.match(r.stdout, pattern, `${what}: unexpected error text\n${describe(r)}`);
  assertNoLeak(r, GOOD_KEY, what);
  assertNoLeak(r, BAD_KEY, what);
}

test('an inline exchange: one IAM request with the helper User-Agent, a valid iambearer token', async () => {
  const server = 'inline.faults.test';
  await loginUncached(server, GOOD_KEY);
  const before = proxy!.requests.length;
  const creds = parseCreds(await getWith(sb.env, server), 'get');
  assert.is(creds.Username, 'iambearer');
  assert.ok(iam!.validateToken(creds.Secret).ok, 'IAM accepts the token');
  const sent = proxy!.requests.slice(before);
  assert.is(sent.length, 1, 'one IAM request');
  assert.match(sent[0]!.userAgent, /^lanyard\/\S+ \(helper\)$/, 'inline exchanges say (helper)');
  assert.is(sent[0]!.path, '/identity/token');
});

test('IAM stopped while the cached token is valid: get answers the cached token at once', async () => {
  const own = await iamFixture.start({ apikeys: [GOOD_KEY] });
  extraIams.push(own);
  const server = 'stopped.faults.test';
  await loginIam(sb.env, server, GOOD_KEY, own.url);
  const first = parseCreds(await getWith(sb.env, server), 'first get');
  assert.is(own.counts.total, 1, "the login's check; the get answered the token it got");
  await own.stop();
  for (let i = 0; i < 3; i++) {
    const [r, ms] = await timed(() => getWith(sb.env, server));
    assert.equal(parseCreds(r, `get ${i} with IAM down`), first, 'the cached credentials');
    assert.ok(ms < 2000, `answered from the cache without waiting on IAM (${ms} ms)`);
  }

  // Past its refresh time (80 %) but still usable: the refresh fails, the old token is still served.
  makeCachedTokenDue(sb, server);
  const [due, dueMs] = await timed(() => getWith(sb.env, server));
  assert.equal(
    parseCreds(due, 'get of a due token with IAM down'),
    first,
    'a still-valid token is served when the refresh fails',
  );
  console.log(`[exchange-faults] due token, IAM down: get took ${dueMs} ms (inline retries)`);
  assert.match(logText(sb), new RegExp(`exchange for ${server.replace(/\./g, '\\.')} failed \\(transient\\)`));

  // Expired: nothing left to serve. A clear error, not "not found".
  expireCachedToken(sb, server);
  const [gone, goneMs] = await timed(() => getWith(sb.env, server));
  assertRealError(
    gone,
    'get after expiry with IAM down',
    new RegExp(
      `cannot get a token for ${server.replace(/\./g, '\\.')}: .*cannot reach http://127\\.0\\.0\\.1:${own.port}`,
    ),
  );
  assert.ok(goneMs < 10_000, `gave up within the inline budget (${goneMs} ms)`);
});

test('IAM answering 5xx: a valid cached token is still served; after expiry a clear 503 error', async () => {
  const server = 'fivexx.faults.test';
  await loginIam(sb.env, server, GOOD_KEY, proxy!.url);
  const first = parseCreds(await getWith(sb.env, server), 'first get');
  iam!.faults.fail(100, 503);
  const totalBefore = iam!.counts.total;
  assert.equal(parseCreds(await getWith(sb.env, server), 'fresh cache, IAM 503'), first);
  assert.is(iam!.counts.total, totalBefore, 'a fresh token needs no IAM request');

  makeCachedTokenDue(sb, server);
  assert.equal(parseCreds(await getWith(sb.env, server), 'due token, IAM 503'), first, 'still-valid token served');
  const dueAttempts = iam!.counts.total - totalBefore;
  assert.ok(dueAttempts >= 1 && dueAttempts <= 3, `inline retries are bounded (3 attempts): ${dueAttempts}`);

  expireCachedToken(sb, server);
  const afterDue = iam!.counts.total;
  const r = await getWith(sb.env, server);
  assertRealError(
    r,
    'expired token, IAM 503',
    /cannot get a token for fivexx\.faults\.test: IBM Cloud IAM at http:\/\/127\.0\.0\.1:\d+ answered 503/,
  );
  const expiredAttempts = iam!.counts.total - afterDue;
  assert.ok(expiredAttempts >= 1 && expiredAttempts <= 3, `bounded retries after expiry: ${expiredAttempts}`);
  console.log(
    `[exchange-faults] IAM 503: ${dueAttempts} requests for a due token, ${expiredAttempts} for an expired one`,
  );

  iam!.faults.reset();
  assert.ok(
    iam!.validateToken(parseCreds(await getWith(sb.env, server), 'IAM back').Secret).ok,
    'recovers once IAM answers again',
  );
});

test('a dropped connection is retried: the get succeeds with 2 IAM requests', async () => {
  const server = 'drop.faults.test';
  await loginUncached(server, GOOD_KEY);
  const before = { total: iam!.counts.total, issued: iam!.counts.issued };
  iam!.faults.drop(1);
  const creds = parseCreds(await getWith(sb.env, server), 'get with one dropped connection');
  assert.ok(iam!.validateToken(creds.Secret).ok);
  assert.equal(
    [iam!.counts.total - before.total, iam!.counts.issued - before.issued],
    [2, 1],
    'one dropped, one answered',
  );
});

test('429 with Retry-After: lanyard waits as told, then succeeds (2 requests)', async () => {
  const server = 'throttle.faults.test';
  await loginUncached(server, GOOD_KEY);
  iam!.faults.throttle(1, 2);
  const before = proxy!.requests.length;
  const [r, ms] = await timed(() => getWith(sb.env, server));
  const creds = parseCreds(r, 'get after a 429');
  assert.ok(iam!.validateToken(creds.Secret).ok);
  const sent = proxy!.requests.slice(before);
  assert.is(sent.length, 2, `one 429 and one success: ${sent.length} requests`);
  const gap = sent[1]!.at - sent[0]!.at;
  assert.ok(gap >= 1900, `the retry waited for Retry-After: 2 s (waited ${gap} ms)`);
  assert.ok(ms < 8000, `within the inline budget (${ms} ms)`);
});

test('429 with a Retry-After beyond the inline budget: fail fast; later gets respect it (no retry storm)', async () => {
  const server = 'throttle-long.faults.test';
  await loginUncached(server, GOOD_KEY);
  iam!.faults.throttle(1, 60);
  const before = iam!.counts.total;
  const [r, ms] = await timed(() => getWith(sb.env, server));
  assertRealError(
    r,
    'get answered 429 Retry-After 60',
    /cannot get a token for throttle-long\.faults\.test: IBM Cloud IAM .* answered 429/,
  );
  assert.ok(ms < 3000, `did not sleep 60 s inside a pull (${ms} ms)`);
  assert.is(iam!.counts.total - before, 1, 'one request');
  const rs = await Promise.all(Array.from({ length: 5 }, () => getWith(sb.env, server)));
  for (const [i, x] of rs.entries()) assertRealError(x, `get ${i} during Retry-After`, /answered 429/);
  assert.is(iam!.counts.total - before, 1, 'no IAM request before Retry-After has passed');
  // A new login is a new secret: the held-back failure does not apply to it.
  await loginIam(sb.env, server, GOOD_KEY, proxy!.url);
  assert.ok(iam!.validateToken(parseCreds(await getWith(sb.env, server), 'after a new login').Secret).ok);
});

test('a revoked API key: a permanent error naming the key and IAM; 20 concurrent gets, 1 IAM request', async () => {
  const server = 'badkey.faults.test';
  await loginUncached(server, BAD_KEY); // a login checks the key: it is revoked afterwards
  iam!.revokeKey(BAD_KEY);
  const checked = iam!.counts.byApikey[BAD_KEY] ?? 0;
  const rs = await Promise.all(Array.from({ length: 20 }, () => getWith(sb.env, server, 60_000)));
  for (const [i, r] of rs.entries()) {
    assertRealError(
      r,
      `concurrent get ${i}`,
      /IBM Cloud IAM .*refused the exchange with 400 \(BXNIM0415E.*API key.*log in again/,
    );
  }
  const asked = () => (iam!.counts.byApikey[BAD_KEY] ?? 0) - checked;
  assert.is(asked(), 1, `one IAM request for 20 gets, got ${asked()}`);
  const again = await getWith(sb.env, server);
  assertRealError(again, 'get right after', /BXNIM0415E/);
  assert.is(asked(), 1, 'a permanent refusal is not re-asked at once');
  assert.match(logText(sb), /exchange for badkey\.faults\.test failed \(permanent\)/);
  const ls = await runHelper(['ls'], { env: sb.env });
  assert.match(
    ls.stdout,
    /^badkey\.faults\.test +ibm-iam .*error: IBM Cloud IAM .*BXNIM0415E/m,
    `ls shows the failure\n${ls.stdout}`,
  );

  await loginIam(sb.env, server, GOOD_KEY, proxy!.url);
  const fixed = parseCreds(await getWith(sb.env, server), 'get after logging in with a good key');
  assert.ok(iam!.validateToken(fixed.Secret).ok, 'a new login works at once');
});

test(`${BURST} concurrent gets on an empty cache, then on an expired one: exactly 1 IAM request each`, async () => {
  const server = 'burst.faults.test';
  await loginUncached(server, GOOD_KEY);
  iam!.faults.latencyMs = 300; // a slow IAM widens the window in which the processes overlap

  for (const phase of ['empty', 'expired'] as const) {
    if (phase === 'expired') expireCachedToken(sb, server);
    const before = iam!.counts.byApikey[GOOD_KEY] ?? 0;
    const started = Date.now();
    const rs = await Promise.all(
      Array.from({ length: BURST }, () => runHelper(['get'], { env: sb.env, stdin: server, timeoutMs: 90_000 })),
    );
    const ms = Date.now() - started;
    const answers = rs.map((r, i) => parseCreds(r, `${phase} burst get ${i}`));
    const distinct = [...new Set(answers.map((a) => `${a.Username}:${a.Secret}`))];
    assert.is(distinct.length, 1, `${phase}: all ${BURST} gets answer the same token (${distinct.length} distinct)`);
    assert.is((iam!.counts.byApikey[GOOD_KEY] ?? 0) - before, 1, `${phase}: exactly 1 IAM request for ${BURST} gets`);
    assert.ok(iam!.validateToken(answers[0]!.Secret).ok);
    assert.is(cacheRecord(sb, server)?.token?.secret, answers[0]!.Secret, 'the cache holds that token');
    console.log(`[exchange-faults] ${BURST} concurrent gets (${phase} cache) took ${ms} ms`);
  }
});

test('secrets never on disk outside the store: log, mapping and cache hold neither key', async () => {
  assertNoSecretOnDisk(sb, { 'valid API key': GOOD_KEY, 'invalid API key': BAD_KEY });
});

test.run();
