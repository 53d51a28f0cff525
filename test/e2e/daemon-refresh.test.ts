// The refresher daemon (`docker-credential-lanyard daemon`) with short IAM token lifetimes: it exchanges
// at start, refreshes ahead of expiry so that `get` never exchanges inline, picks up new logins without a
// restart (also while a refresh is in flight), reports per entry in `daemon status`, refreshes on
// `daemon refresh [server]`, exits 0 on SIGTERM removing its PID file and socket, and never breaks `get`
// when stopped or killed mid-refresh.
// IAM is the stand-in behind a recording proxy: the User-Agent tells the daemon's requests
// (`lanyard/<v> (daemon)`) from inline ones (`(helper)`).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import type { Sandbox } from './support/sandbox.js';
import { runHelper } from './support/helper.js';
import { describe } from './support/run.js';
import { startRecordingProxy, type RecordingProxy } from './support/exchange-proxy.js';
import {
  assertMappingParses,
  assertNoSecretOnDisk,
  cacheRecord,
  cacheRecords,
  daemonCommand,
  daemonPidFile,
  daemonSocket,
  expireCachedToken,
  fileStoreSandbox,
  getWith,
  loginIam,
  loginOk,
  logText,
  makeCachedTokenDue,
  parseCreds,
  sleep,
  startDaemon,
  tokensDir,
  waitFor,
  type Daemon,
} from './support/exchange-env.js';

const LIFETIME_S = 20; // refresh due at 16 s (+ up to 1 s jitter), served until 18 s (10 % margin)
const KEY_A = `daemon-key-a-${randomBytes(16).toString('hex')}`;
const KEY_B = `daemon-key-b-${randomBytes(16).toString('hex')}`;
const KEY_C = `daemon-key-c-${randomBytes(16).toString('hex')}`;
const A = 'daemon-a.registry.test';
const B = 'daemon-b.registry.test';

let sb: Sandbox;
let iam: iamFixture.IamHandle | undefined;
let proxy: RecordingProxy | undefined;
const daemons: Daemon[] = [];
let daemon: Daemon | undefined;
/** IAM requests made by `login`'s check of a key (as the helper): not inline exchanges by `get`. */
let loginChecks = 0;

test.before(async () => {
  sb = fileStoreSandbox('daemon-refresh');
  iam = await iamFixture.start({ apikeys: [KEY_A, KEY_B, KEY_C], tokenLifetimeSeconds: LIFETIME_S });
  proxy = await startRecordingProxy(iam.url);
  await loginIam(sb.env, A, KEY_A, proxy.url);
  loginChecks += 1;
  // As after a reboot (the runtime dir is gone): the token the login's check got is not there for the daemon.
  rmSync(tokensDir(sb), { recursive: true, force: true });
});

test.after(async () => {
  for (const d of daemons) {
    try {
      if (d.running()) await d.stop(3000);
    } catch (error) {
      console.error('[daemon-refresh] daemon stop:', error);
    }
  }
  try {
    await proxy?.stop();
  } catch (error) {
    console.error('[daemon-refresh] proxy stop:', error);
  }
  try {
    await iam?.stop();
  } catch (error) {
    console.error('[daemon-refresh] iam stop:', error);
  }
  sb?.cleanup();
});

async function launch(): Promise<Daemon> {
  const d = await startDaemon(sb);
  daemons.push(d);
  return d;
}

/** Inline exchanges: the helper's requests other than login checks. */
const helperRequests = () => proxy!.byRole('helper').length - loginChecks;
const daemonRequests = () => proxy!.byRole('daemon').length;

test('the daemon starts (PID file, socket) and exchanges at once with the daemon User-Agent', async () => {
  daemon = await launch();
  const record = await waitFor(
    'the daemon to cache a token for A',
    () => cacheRecord(sb, A)?.token && cacheRecord(sb, A),
  );
  assert.is(daemonRequests(), 1, 'one exchange by the daemon');
  assert.is(helperRequests(), 0, 'none inline');
  assert.ok(
    proxy!.requests.every((r) => /^lanyard\/\S+ \((daemon|helper)\)$/.test(r.userAgent)),
    'lanyard User-Agent on every request',
  );
  assert.is(record.token!.username, 'iambearer');
  assert.ok(iam!.validateToken(record.token!.secret).ok);
  assert.match(logText(sb), `daemon started (PID ${daemon.pid})`);
});

test('with the daemon up, get is answered by the daemon: the cached token, no exchange', async () => {
  const cached = cacheRecord(sb, A)!.token!;
  const helperBefore = helperRequests();
  let r = await getWith({ ...sb.env, LANYARD_TRACE: '1' }, A);
  // On a loaded machine the daemon can miss the get's few-millisecond deadline; the get then reads the cache.
  for (let attempt = 1; attempt < 8 && !r.stderr.includes('agent: answered'); attempt++)
    r = await getWith({ ...sb.env, LANYARD_TRACE: '1' }, A);
  assert.match(r.stderr, /agent: answered/, describe(r));
  assert.not.match(r.stderr, /mapping read/, 'the get read nothing itself');
  assert.equal(parseCreds(r, 'get from the daemon'), { ServerURL: A, Username: 'iambearer', Secret: cached.secret });
  assert.is(helperRequests(), helperBefore, 'no inline exchange');
});

test('daemon status lists the entry with token expiry, last refresh and next refresh', async () => {
  await sleep(1100); // so that the last refresh is at least a second ago
  const r = await daemonCommand(sb.env, ['status']);
  assert.is(r.code, 0, describe(r));
  assert.match(r.stdout, new RegExp(`^daemon PID ${daemon!.pid}, up `));
  const line = r.stdout.split('\n').find((l) => l.startsWith(`${A} `));
  assert.ok(line, `a line for ${A}\n${r.stdout}`);
  assert.match(
    line!,
    /\(ibm-iam\): token expires in 1\ds, last refresh [1-9]\d*s ago, next in 1\ds$/,
    `status line: ${line}`,
  );
  assert.not.match(line!, /last error/);
  const ls = await runHelper(['ls'], { env: sb.env });
  assert.match(
    ls.stdout,
    new RegExp(`^${A.replace(/\./g, '\\.')} +ibm-iam +iamapikey +file +valid, expires in 1\\ds$`, 'm'),
    `ls token state\n${ls.stdout}`,
  );
  assert.match(ls.stdout, `refresher: running (PID ${daemon!.pid})`);
});

test('a second daemon refuses to start while one is running; the first keeps running', async () => {
  const r = await runHelper(['daemon'], { env: sb.env, timeoutMs: 10_000 });
  assert.ok(!r.timedOut, `the second daemon kept running\n${describe(r)}`);
  assert.is(r.code, 1, describe(r));
  assert.match(r.stderr, `a lanyard daemon is already running (PID ${daemon!.pid})`);
  assert.ok(daemon!.running());
  assert.ok(existsSync(daemonSocket(sb)), "the first daemon's socket is still there");
  assert.is((await daemonCommand(sb.env, ['status'])).code, 0, 'the first daemon still answers');
});

test(`refreshes ahead of expiry: gets over 1.5 lifetimes (${LIFETIME_S * 1.5} s) never exchange inline`, async () => {
  const first = cacheRecord(sb, A)!.token!;
  const startRequests = daemonRequests();
  const seen = new Set<string>();
  const end = Date.now() + LIFETIME_S * 1500;
  let gets = 0;
  while (Date.now() < end) {
    const creds = parseCreds(await getWith(sb.env, A), `get ${gets}`);
    gets += 1;
    assert.is(creds.Username, 'iambearer');
    const check = iam!.validateToken(creds.Secret);
    assert.ok(check.ok, `get ${gets} answered a token IAM no longer accepts: ${JSON.stringify(check)}`);
    seen.add(creds.Secret);
    await sleep(100);
  }
  assert.is(helperRequests(), 0, `no inline exchange during ${gets} gets (helper requests: ${helperRequests()})`);
  const refreshes = proxy!.byRole('daemon').slice(startRequests);
  assert.ok(refreshes.length >= 1, 'the daemon refreshed at least once');
  assert.ok(seen.size >= 2, `the gets saw the refreshed token (${seen.size} distinct tokens)`);
  // The first refresh happened ahead of expiry, at about 80 % of the lifetime (plus up to 5 % jitter and a 1 s tick).
  const at = (refreshes[0]!.at - first.issuedAt) / (first.expiresAt! - first.issuedAt);
  assert.ok(at >= 0.78 && at < 0.92, `first refresh at ${(at * 100).toFixed(1)} % of the token's lifetime`);
  console.log(
    `[daemon-refresh] ${gets} gets, ${refreshes.length} daemon refresh(es), ` +
      `first at ${(at * 100).toFixed(1)} % of the lifetime`,
  );
});

test('a new login is picked up without a restart: the daemon exchanges for it, get does not', async () => {
  const helperBefore = helperRequests();
  const daemonBefore = daemonRequests();
  await loginIam(sb.env, B, KEY_B, proxy!.url);
  loginChecks += 1;
  // The login's check cached its token: the daemon takes the new entry on with that token, exchanging nothing.
  const record = cacheRecord(sb, B);
  assert.ok(record?.token, 'the check left its token in the cache');
  const listed = new RegExp(`^${B.replace(/\./g, '\\.')} \\(ibm-iam\\): token expires in`, 'm');
  const status = await waitFor('the daemon to watch B', async () => {
    const r = await daemonCommand(sb.env, ['status']);
    return listed.test(r.stdout) && r;
  });
  assert.match(status.stdout, listed, status.stdout);
  assert.is(iam!.counts.byApikey[KEY_B], 1, 'one exchange for the new key: the login check');
  const creds = parseCreds(await getWith(sb.env, B), 'get B');
  assert.is(creds.Secret, record!.token!.secret, "get answers the check's token");
  assert.is(helperRequests(), helperBefore, 'no inline exchange for the new login');
  assert.is(daemonRequests(), daemonBefore, 'nor one by the daemon: the token is fresh');
});

test('daemon refresh refreshes all; daemon refresh SERVER refreshes that entry only', async () => {
  // All first: both tokens are then fresh and no scheduled refresh (every ~16 s) can fall into the
  // window of the single-entry refresh, whose exchanges are counted exactly.
  const a0 = cacheRecord(sb, A)!.token!.secret;
  const b0 = cacheRecord(sb, B)!.token!.secret;
  const before = daemonRequests();
  const all = await daemonCommand(sb.env, ['refresh']);
  assert.is(all.code, 0, describe(all));
  assert.match(all.stdout, A);
  assert.match(all.stdout, B);
  // At least one per entry: a scheduled refresh may have finished just before the command.
  assert.ok(daemonRequests() - before >= 2, 'one more exchange per entry');
  const a1 = cacheRecord(sb, A)!.token!.secret;
  const b1 = cacheRecord(sb, B)!.token!.secret;
  assert.is.not(a1, a0);
  assert.is.not(b1, b0);

  const requests = daemonRequests();
  const one = await daemonCommand(sb.env, ['refresh', A]);
  assert.is(one.code, 0, describe(one));
  const line = new RegExp(`^${A.replace(/\./g, '\\.')} \\(ibm-iam\\): token expires in (20|19)s, last refresh `, 'm');
  assert.match(one.stdout, line, one.stdout);
  assert.not.match(one.stdout, B, 'only the named entry is shown');
  assert.is(daemonRequests() - requests, 1, 'one exchange');
  const a2 = cacheRecord(sb, A)!.token!.secret;
  assert.is.not(a2, a1, 'A has a new token');
  assert.is(cacheRecord(sb, B)!.token!.secret, b1, 'B untouched');
  assert.is(parseCreds(await getWith(sb.env, A), 'get A').Secret, a2, 'get answers the new token');
  assert.is(helperRequests(), 0, 'still no inline exchange');
});

test('right after a refresh, status says "last refresh 0s ago" (not "in 0s")', async () => {
  const r = await daemonCommand(sb.env, ['refresh', A]);
  assert.is(r.code, 0, describe(r));
  const line = r.stdout.split('\n').find((l) => l.startsWith(`${A} `));
  assert.match(line ?? '', /, last refresh 0s ago, /, `a refresh that just happened is in the past: ${line}`);
});

test('daemon refresh takes the server as login and get do (scheme, case); says so when nothing matches', async () => {
  const before = cacheRecord(sb, A)!.token!.secret;
  const requests = daemonRequests();
  const r = await daemonCommand(sb.env, ['refresh', `https://${A.toUpperCase()}/`]);
  assert.is(r.code, 0, describe(r));
  assert.match(
    r.stdout,
    new RegExp(`^${A.replace(/\./g, '\\.')} \\(ibm-iam\\)`, 'm'),
    `refresh https://${A.toUpperCase()}/ should refresh ${A}:\n${r.stdout}`,
  );
  assert.is(daemonRequests() - requests, 1, 'one exchange');
  assert.is.not(cacheRecord(sb, A)!.token!.secret, before);
  const unknown = await daemonCommand(sb.env, ['refresh', 'nosuch.registry.test']);
  assert.is(unknown.code, 1, `refreshing a server with no login should fail\n${describe(unknown)}`);
  assert.match(unknown.stderr, /nosuch\.registry\.test/, describe(unknown));
});

test('a failing refresh shows as last error in daemon status; get keeps serving the valid token', async () => {
  const before = cacheRecord(sb, A)!.token!.secret;
  iam!.faults.fail(1000, 503);
  try {
    const r = await daemonCommand(sb.env, ['refresh', A]);
    assert.is(r.code, 0, describe(r));
    assert.match(r.stdout, /last error: .*IBM Cloud IAM at http:\/\/127\.0\.0\.1:\d+ answered 503/, r.stdout);
    const status = await daemonCommand(sb.env, ['status']);
    assert.match(status.stdout, /last error: .*answered 503/, status.stdout);
    assert.is(
      parseCreds(await getWith(sb.env, A), 'get during the IAM outage').Secret,
      before,
      'the still-valid token',
    );
    assert.match(logText(sb), new RegExp(`refresh of ${A.replace(/\./g, '\\.')} failed \\(1x\\)`));
  } finally {
    iam!.faults.reset();
  }
});

test('SIGTERM: exit 0, PID file and socket removed; get keeps working without the daemon', async () => {
  const r = await daemon!.stop();
  assert.is(r.code, 0, `daemon exit code\n${describe(r)}`);
  assert.not.ok(existsSync(daemonPidFile(sb)), 'PID file removed');
  assert.not.ok(existsSync(daemonSocket(sb)), 'socket removed');
  const status = await daemonCommand(sb.env, ['status']);
  assert.is(status.code, 1);
  assert.match(status.stderr, /no lanyard daemon is running/);

  const cached = cacheRecord(sb, A)!.token!.secret;
  assert.is(parseCreds(await getWith(sb.env, A), 'get, cache fresh').Secret, cached);
  makeCachedTokenDue(sb, A);
  const helperBefore = helperRequests();
  const renewed = parseCreds(await getWith(sb.env, A), 'get, token due, no daemon');
  assert.is.not(renewed.Secret, cached, 'without a daemon, get refreshes a due token itself');
  assert.is(helperRequests() - helperBefore, 1, 'one inline exchange');
});

test('SIGKILL mid-refresh: cache and mapping intact, get still works, the daemon starts again', async () => {
  expireCachedToken(sb, A);
  iam!.faults.latencyMs = 3000;
  const requests = daemonRequests();
  const victim = await launch();
  await waitFor("the daemon's IAM request to be in flight", () => daemonRequests() > requests, 5000, 10);
  await sleep(200);
  const killed = await victim.kill();
  assert.is(killed.signal, 'SIGKILL');
  iam!.faults.latencyMs = 0;

  assert.ok(existsSync(daemonPidFile(sb)), 'a killed daemon leaves its PID file behind');
  for (const { record } of cacheRecords(sb)) assert.is(record.version, 1, `cache record of ${record.server}`);
  assertMappingParses(sb, 'after SIGKILL');
  const leftovers = readdirSync(tokensDir(sb));
  console.log(`[daemon-refresh] runtime files after SIGKILL: ${leftovers.join(' ')}`);

  const started = Date.now();
  const creds = parseCreds(await getWith(sb.env, A), 'get after the daemon was killed');
  const ms = Date.now() - started;
  assert.ok(iam!.validateToken(creds.Secret).ok, 'a fresh, valid token');
  assert.ok(ms < 5000, `no long wait for the dead daemon's lock (${ms} ms)`);
  assert.equal(parseCreds(await getWith(sb.env, B), 'get B').Username, 'iambearer');

  const again = await launch();
  const status = await daemonCommand(sb.env, ['status']);
  assert.is(status.code, 0, describe(status));
  assert.match(status.stdout, `daemon PID ${again.pid}`);
  const stopped = await again.stop();
  assert.is(stopped.code, 0, describe(stopped));
  assert.not.ok(existsSync(daemonPidFile(sb)) || existsSync(daemonSocket(sb)), 'files removed');
});

test('get with a stale PID file (dead daemon) and with an expired token exchanges inline', async () => {
  const victim = await launch();
  await victim.kill();
  assert.ok(existsSync(daemonPidFile(sb)), 'stale PID file');
  expireCachedToken(sb, A);
  const helperBefore = helperRequests();
  const creds = parseCreds(await getWith(sb.env, A), 'get with a stale PID file');
  assert.ok(iam!.validateToken(creds.Secret).ok);
  assert.is(helperRequests() - helperBefore, 1, 'exchanged inline');
  const status = await daemonCommand(sb.env, ['status']);
  assert.is(status.code, 1, describe(status));
  assert.match(status.stderr, /no lanyard daemon is running/, 'a dead daemon is reported as not running');
});

test('a login while the daemon is mid-refresh does not stop the daemon refreshing that entry', async () => {
  await loginIam(sb.env, 'review.registry.test', KEY_C, iam!.url);
  iam!.faults.latencyMs = 2000;
  await launch();
  await sleep(500); // the daemon's first exchange is now in flight
  await loginOk(sb.env, 'other.registry.test', 'u', 'pw'); // changes the mapping under it
  await sleep(2500);
  iam!.faults.latencyMs = 0;
  const status = await daemonCommand(sb.env, ['status']);
  assert.is(status.code, 0, describe(status));
  const line = status.stdout.split('\n').find((l) => l.startsWith('review.registry.test')) ?? '';
  assert.not.match(line, /last refresh -/, `the refresh that was in flight is recorded: ${line}`);
  assert.match(line, /next in \d+s/, `a next refresh is scheduled: ${line}`);
  const refresh = await daemonCommand(sb.env, ['refresh', 'review.registry.test']);
  assert.is(refresh.code, 0, describe(refresh));
  assert.match(refresh.stdout, /last refresh (0s ago|[1-9]s ago)/, refresh.stdout);
});

test('secrets never on disk outside the store: log, mapping and cache hold no API key', async () => {
  assertNoSecretOnDisk(sb, { 'API key A': KEY_A, 'API key B': KEY_B, 'API key C': KEY_C });
});

test.run();
