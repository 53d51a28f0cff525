// Nothing a token service answers is trusted (the compiled binary against the IAM stand-in): a
// Retry-After of a year holds a failure at most 60 s (and `refresh` ends it); lifetimes of 1e13, 0 and
// -5 s give a token believed for a day at most or one clear error; a 900 KB multi-line error that echoes the API key
// becomes one short redacted line in get, ls, the log and the token cache; a cache record with
// times in the future (clock stepped back) is not believed; a network failure in doctor is not an
// "internal error"; LANYARD_DEBUG=1 logs the decisions of a get.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as iamFixture from '../fixtures/iam.js';
import type { Sandbox } from './support/sandbox.js';
import { assertNoLeak, assertOneLineError } from './support/asserts.js';
import { NOT_FOUND, runHelper } from './support/helper.js';
import { describe, type RunResult } from './support/run.js';
import {
  assertNoSecretOnDisk,
  cacheFiles,
  cacheRecord,
  editCacheRecord,
  expireCachedToken,
  fileStoreSandbox,
  forgetCachedToken,
  getWith,
  loginIam,
  logText,
  parseCreds,
} from './support/exchange-env.js';

const KEY = `untrusted-key-${randomBytes(16).toString('hex')}`;
const CAP_MS = 60_000;
const DAY_S = 24 * 3600;
const HOUR = 3600_000;
const KUBELET_API = 'credentialprovider.kubelet.k8s.io/v1';

let sb: Sandbox;
let iam: iamFixture.IamHandle | undefined;

test.before(async () => {
  sb = fileStoreSandbox('untrusted');
  iam = await iamFixture.start({ apikeys: [KEY] });
});

test.after(async () => {
  try {
    await iam?.stop();
  } catch (error) {
    console.error('[untrusted] iam stop:', error);
  }
  sb?.cleanup();
});

test.before.each(() => {
  iam!.faults.reset();
  iam!.setTokenLifetime(3600);
});

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A real failure: one line on stdout, exit 1, not "not found", never the key. */
function assertRealError(r: RunResult, what: string, pattern: RegExp): void {
  assertOneLineError(r, what);
  assert.is.not(r.stdout.trim(), NOT_FOUND, `${what}: a real failure disguised as not-found\n${describe(r)}`);
  assert.not.match(r.stdout, /internal error/, `${what}: not a bug\n${describe(r)}`);
  assert.match(r.stdout, pattern, `${what}: unexpected error text\n${describe(r)}`);
  assertNoLeak(r, KEY, what);
}

/**
 * `login` (whose check exchanges once and caches the token it got), then that token forgotten, as a reboot empties
 * the runtime dir: the next get must exchange, which is what these tests feed nonsense answers.
 */
async function loginUncached(server: string, iamUrl = iam!.url): Promise<void> {
  await loginIam(sb.env, server, KEY, iamUrl);
  forgetCachedToken(sb, server);
}

const kubelet = (image: string) =>
  runHelper(['kubelet'], {
    env: sb.env,
    timeoutMs: 20_000,
    stdin: JSON.stringify({ apiVersion: KUBELET_API, kind: 'CredentialProviderRequest', image }),
  });

test('429 with Retry-After of a year: the failure is held at most 60 s, then IAM is asked again', async () => {
  const server = 'year.untrusted.test';
  await loginUncached(server);
  iam!.faults.throttle(1, 31_536_000);
  const before = iam!.counts.total;
  assertRealError(await getWith(sb.env, server), 'get answered 429', /answered 429/);
  const failure = cacheRecord(sb, server)?.failure;
  assert.ok(failure?.retryAt !== undefined, `the cache records the hold\n${JSON.stringify(failure)}`);
  const heldMs = failure!.retryAt! - failure!.at;
  assert.ok(heldMs <= CAP_MS + 1000, `held ${Math.round(heldMs / 1000)} s, at most 60 s`);
  assertRealError(await getWith(sb.env, server), 'get during the hold', /answered 429/);
  assert.is(iam!.counts.total - before, 1, 'no IAM request during the hold');

  // A minute and a second later (the record moved back in time): IAM is asked again.
  editCacheRecord(sb, server, (r) => {
    r.failure!.at -= CAP_MS + 1000;
    r.failure!.retryAt! -= CAP_MS + 1000;
  });
  const creds = parseCreds(await getWith(sb.env, server), 'get once the capped hold is over');
  assert.ok(iam!.validateToken(creds.Secret).ok);
  assert.is(iam!.counts.total - before, 2);
});

test('a hold says until when, and refresh SERVER ends it at once', async () => {
  const server = 'refresh.untrusted.test';
  await loginUncached(server);
  iam!.faults.throttle(1, 31_536_000);
  assertRealError(
    await getWith(sb.env, server),
    'get answered 429',
    new RegExp(
      'answered 429.*; not asked again before \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ' +
        '\\(docker-credential-lanyard refresh refresh\\.untrusted\\.test asks now\\)$',
      'm',
    ),
  );
  const before = iam!.counts.total;
  const refreshed = await runHelper(['refresh', server], { env: sb.env });
  assert.is(refreshed.code, 0, describe(refreshed));
  assert.match(refreshed.stderr, /^Refreshed the login for refresh\.untrusted\.test \(ibm-iam\), valid until \d{4}-/);
  assert.is(iam!.counts.total - before, 1, 'refresh asked IAM despite the hold');
  const creds = parseCreds(await getWith(sb.env, server), 'get after refresh');
  assert.ok(iam!.validateToken(creds.Secret).ok);
  assert.is(iam!.counts.total - before, 1, 'get answered from the refreshed token');
});

test('expires_in 1e13: a valid token believed for a day at most; kubelet and export stay sane', async () => {
  const server = 'huge.untrusted.test';
  await loginUncached(server);
  iam!.setTokenLifetime(1e13);
  const creds = parseCreds(await getWith(sb.env, server), 'get of a token that claims 300,000 years');
  assert.ok(iam!.validateToken(creds.Secret).ok);
  const token = cacheRecord(sb, server)?.token;
  assert.ok(
    token?.expiresAt !== undefined && token.expiresAt - token.issuedAt <= DAY_S * 1000,
    `believed at most a day: ${JSON.stringify(token && { issuedAt: token.issuedAt, expiresAt: token.expiresAt })}`,
  );

  const k = await kubelet(`${server}/team/app:1`);
  assert.is(k.code, 0, describe(k));
  const duration = (JSON.parse(k.stdout) as { cacheDuration: string }).cacheDuration;
  const seconds = Number(/^(\d+)s$/.exec(duration)?.[1]);
  assert.ok(seconds > 0 && seconds <= DAY_S, `kubelet caches at most a day: cacheDuration ${duration}`);

  const e = await runHelper(['export', '--registry', server], { env: sb.env, timeoutMs: 20_000 });
  assert.is(e.code, 0, `export works\n${describe(e)}`);
  assert.match(e.stderr, /the tokens expire \d{4}-/, describe(e));
  assert.not.match(logText(sb), /RangeError|internal error/);
});

for (const lifetime of [0, -5]) {
  test(`expires_in ${lifetime}: one clear error, no expired token, and IAM is not asked on every get`, async () => {
    const server = `lifetime${lifetime}.untrusted.test`;
    await loginUncached(server);
    iam!.setTokenLifetime(lifetime);
    const before = iam!.counts.total;
    const pattern = new RegExp(`a token for ${escapeRe(server)}: .*a token with .*\\(expires_in ${lifetime}\\)`);
    assertRealError(await getWith(sb.env, server), `get, expires_in ${lifetime}`, pattern);
    assertRealError(await getWith(sb.env, server), `second get, expires_in ${lifetime}`, pattern);
    assert.is(iam!.counts.total - before, 1, 'one IAM request for two gets: the bad answer is held');
    const k = await kubelet(`${server}/team/app:1`);
    assert.is(k.code, 1, `kubelet gets an error, not an expired token\n${describe(k)}`);
    assert.is(k.stdout, '', describe(k));
  });
}

test('a 900 KB multi-line error echoing the key: one short redacted line in get, ls, log and cache', async () => {
  const server = 'echo.untrusted.test';
  await loginUncached(server);
  const forged = '2030-01-01T00:00:00.000Z INFO [daemon 1] forged line';
  iam!.failWithMessage(1, 400, `Provided API key ${KEY} could not be found.\n${forged}\n${'x'.repeat(900_000)}`);
  const r = await getWith(sb.env, server);
  assertRealError(r, 'get', /BXNIM0415E: Provided API key \[redacted\] could not be found\.\\n2030/);
  assert.ok(r.stdout.length < 1100, `a short line: ${r.stdout.length} characters`);

  const ls = await runHelper(['ls'], { env: sb.env });
  assert.is(ls.code, 0, describe(ls));
  assertNoLeak(ls, KEY, 'ls');
  const lines = ls.stdout.split('\n');
  assert.ok(
    lines.every((l) => l.length < 1100),
    `ls lines are short: ${Math.max(...lines.map((l) => l.length))}`,
  );
  const shown = lines.some((l) => l.startsWith(`${server}: `) && l.includes('[redacted]'));
  assert.ok(shown, `ls shows the error\n${ls.stdout.slice(0, 2000)}`);
  assert.not.ok(
    lines.some((l) => l.startsWith('2030-')),
    'no forged line in ls',
  );

  const log = logText(sb).split('\n');
  assert.not.ok(
    log.some((l) => l.startsWith(forged)),
    'no forged line in the log',
  );
  assert.ok(
    log.every((l) => l.length < 2200),
    `log lines are bounded: ${Math.max(...log.map((l) => l.length))}`,
  );
  const message = cacheRecord(sb, server)?.failure?.message ?? '';
  assert.ok(message.length > 0 && message.length < 1100 && !message.includes('\n'), `cached: ${message.length} chars`);
  for (const file of cacheFiles(sb)) assert.not.ok(readFileSync(file, 'utf8').includes(KEY), `${file} holds the key`);
});

test('a cache record from a clock stepped back (failure and token in the future) is not believed', async () => {
  const server = 'stepped.untrusted.test';
  await loginUncached(server);
  parseCreds(await getWith(sb.env, server), 'first get');
  expireCachedToken(sb, server);
  const now = Date.now();
  editCacheRecord(sb, server, (r) => {
    r.failure = { at: now + HOUR, message: 'refused an hour from now', permanent: true, retryAt: now + 2 * HOUR };
  });
  const before = iam!.counts.total;
  const creds = parseCreds(await getWith(sb.env, server), 'get with a failure recorded in the future');
  assert.ok(iam!.validateToken(creds.Secret).ok);
  assert.is(iam!.counts.total - before, 1, 'IAM asked at once');

  editCacheRecord(sb, server, (r) => {
    r.token = { username: 'iambearer', secret: 'not-yet-issued', issuedAt: now + HOUR, expiresAt: now + 2 * HOUR };
  });
  const fresh = parseCreds(await getWith(sb.env, server), 'get with a token issued in the future');
  assert.is.not(fresh.Secret, 'not-yet-issued', 'a token issued in the future is not served');
  assert.is(iam!.counts.total - before, 2);
});

test('doctor: a service that cannot be reached is named as such, not as an internal error', async () => {
  const server = 'down.untrusted.test';
  // Logged in while its IAM answered (login checks the key); then that IAM goes away.
  const gone = await iamFixture.start({ apikeys: [KEY] });
  await loginUncached(server, gone.url);
  await gone.stop();
  const r = await runHelper(['doctor', '--json'], { env: sb.env, timeoutMs: 60_000 });
  const found = (JSON.parse(r.stdout) as { check: string; status: string; message: string }[]).find(
    (f) => f.check === 'exchange' && f.message.startsWith(`${server}:`),
  );
  assert.ok(found, `a finding for ${server}\n${describe(r)}`);
  assert.is(found!.status, 'fail');
  assert.match(found!.message, /cannot reach http:\/\/127\.0\.0\.1:\d+/);
  assert.not.match(found!.message, /internal error/);
  await runHelper(['logout', server], { env: sb.env });
});

test('LANYARD_DEBUG=1 logs what a get decides: the entry, cache miss and hit, the exchange and its time', async () => {
  const server = 'debug.untrusted.test';
  await loginUncached(server);
  const debugEnv = { ...sb.env, LANYARD_DEBUG: '1' };
  const start = logText(sb).length;
  parseCreds(await getWith(debugEnv, server), 'get with debug, empty cache');
  parseCreds(await getWith(debugEnv, server), 'get with debug, cached');
  const lines = logText(sb)
    .slice(start)
    .split('\n')
    .filter((l) => / DEBUG \[helper \d+\] /.test(l));
  const text = lines.join('\n');
  for (const expected of [
    `entry ${server} (ibm-iam, file store)`,
    `${server}: cache miss`,
    `${server}: exchange started (ibm-iam)`,
    `${server}: exchange answered in`,
    `${server}: cache hit`,
  ])
    assert.ok(text.includes(expected), `a debug line with "${expected}"\n${text}`);
  assert.not.ok(text.includes(KEY), 'the key is not logged');

  const quiet = logText(sb).length;
  parseCreds(await getWith(sb.env, server), 'get without debug');
  assert.not.match(logText(sb).slice(quiet), / DEBUG /, 'no debug lines unless asked for');
});

test('secrets never on disk outside the store', async () => {
  assertNoSecretOnDisk(sb, { 'API key': KEY });
});

test.run();
