// The refresher daemon against services that answer nonsense (compiled binary, IAM stand-ins): one
// entry's `429 Retry-After: 99999999999999` does not stop it (it keeps answering on its socket and
// refreshing the other entries, its PID file and socket stay right); a 900 KB multi-line error that
// echoes the API key is one short redacted line in `daemon status` and the log; `daemon --verbose`
// logs its decisions.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import type { Sandbox } from './support/sandbox.js';
import { startHelper } from './support/helper.js';
import { describe } from './support/run.js';
import {
  assertNoSecretOnDisk,
  cacheRecord,
  daemonCommand,
  daemonPidFile,
  daemonSocket,
  fileStoreSandbox,
  loginIam,
  logText,
  sleep,
  startDaemon,
  tokensDir,
  waitFor,
  type Daemon,
} from './support/exchange-env.js';

const LIFETIME_S = 12; // the good entry is refreshed every ~10 s
const KEY = `daemon-untrusted-${randomBytes(16).toString('hex')}`;
const GOOD = 'good.untrusted.test';
const THROTTLED = 'throttled.untrusted.test';
const ECHO = 'echo.untrusted.test';
const FORGED = '2030-01-01T00:00:00.000Z INFO [daemon 1] forged line';

let sb: Sandbox;
const iams: Partial<Record<'good' | 'throttled' | 'echo', iamFixture.IamHandle>> = {};
let daemon: Daemon | undefined;

test.before(async () => {
  sb = fileStoreSandbox('daemon-untrusted');
  iams.good = await iamFixture.start({ apikeys: [KEY], tokenLifetimeSeconds: LIFETIME_S });
  iams.throttled = await iamFixture.start({ apikeys: [KEY] });
  iams.echo = await iamFixture.start({ apikeys: [KEY] });
  // `login` checks each key with one exchange: the services turn hostile after it, and the tokens the checks got
  // are gone (as after a reboot), so the daemon has to ask them.
  await loginIam(sb.env, GOOD, KEY, iams.good.url);
  await loginIam(sb.env, THROTTLED, KEY, iams.throttled.url);
  await loginIam(sb.env, ECHO, KEY, iams.echo.url);
  rmSync(tokensDir(sb), { recursive: true, force: true });
  iams.throttled.faults.throttle(1_000_000, 99_999_999_999_999);
  const echoed = `Provided API key ${KEY} could not be found.\n${FORGED}\n${'x'.repeat(900_000)}`;
  iams.echo.failWithMessage(1_000_000, 400, echoed);
});

test.after(async () => {
  try {
    if (daemon?.running()) await daemon.stop(3000);
  } catch (error) {
    console.error('[daemon-untrusted] daemon stop:', error);
  }
  for (const fixture of Object.values(iams)) {
    try {
      await fixture?.stop();
    } catch (error) {
      console.error('[daemon-untrusted] iam stop:', error);
    }
  }
  sb?.cleanup();
});

const statusLine = (stdout: string, server: string) => stdout.split('\n').find((l) => l.startsWith(`${server} `));

test('Retry-After 99999999999999 for one entry: the daemon keeps running, answering, refreshing others', async () => {
  daemon = await startDaemon(sb);
  await waitFor('the throttled entry to fail', () => cacheRecord(sb, THROTTLED)?.failure);
  await waitFor('the good entry to get a token', () => cacheRecord(sb, GOOD)?.token);
  await sleep(500);
  assert.ok(daemon.running(), `the daemon is still running\n${logText(sb).slice(-2000)}`);
  assert.is(readFileSync(daemonPidFile(sb), 'utf8').trim(), String(daemon.pid), 'the PID file names it');
  assert.ok(existsSync(daemonSocket(sb)), 'its socket is there');

  const status = await daemonCommand(sb.env, ['status']);
  assert.is(status.code, 0, describe(status));
  const line = statusLine(status.stdout, THROTTLED);
  assert.match(line ?? '', /next in ([1-5]m|\d+s), last error: .*answered 429/, `held at most 5 min\n${status.stdout}`);
  assert.not.match(logText(sb), /RangeError|internal error/);

  const issued = iams.good!.counts.issued;
  await waitFor('a scheduled refresh of the good entry', () => iams.good!.counts.issued > issued, 20_000, 200);
  assert.ok(daemon.running());
});

test('a 900 KB multi-line error echoing the API key: one short redacted line in daemon status and log', async () => {
  await waitFor('the echo entry to fail', () => cacheRecord(sb, ECHO)?.failure);
  const status = await daemonCommand(sb.env, ['status']);
  assert.is(status.code, 0, describe(status));
  assert.not.ok(status.stdout.includes(KEY), 'daemon status does not show the key');
  const line = statusLine(status.stdout, ECHO) ?? '';
  const redacted = /last error: .*BXNIM0415E: Provided API key \[redacted\] could not be found\.\\n2030/;
  assert.match(line, redacted, status.stdout.slice(0, 3000));
  assert.ok(line.length < 1200, `one short line: ${line.length} characters`);
  assert.ok(status.stdout.split('\n').length <= 6, `one line per entry\n${status.stdout.slice(0, 3000)}`);
  const log = logText(sb).split('\n');
  assert.not.ok(
    log.some((l) => l.startsWith(FORGED)),
    'no forged line in the log',
  );
  assert.ok(
    log.every((l) => l.length < 2200),
    `log lines are bounded: ${Math.max(...log.map((l) => l.length))}`,
  );
});

test('SIGTERM: exit 0, PID file and socket removed', async () => {
  const r = await daemon!.stop();
  assert.is(r.code, 0, describe(r));
  assert.not.ok(existsSync(daemonPidFile(sb)) || existsSync(daemonSocket(sb)), 'files removed');
});

test('daemon --verbose logs its decisions: entries, exchanges with their time, holds, the next refresh', async () => {
  const start = logText(sb).length;
  const { child, done } = startHelper(['daemon', '--verbose'], { env: sb.env, timeoutMs: 60_000 });
  const debugText = () =>
    logText(sb)
      .slice(start)
      .split('\n')
      .filter((l) => / DEBUG \[daemon \d+\] /.test(l))
      .join('\n');
  try {
    await waitFor('debug lines about the held entry', () => debugText().includes(`${THROTTLED}: held back`));
    // The cached token is served at start; its scheduled refresh comes within a lifetime.
    const exchanged = `${GOOD}: exchange answered in`;
    await waitFor("the good entry's exchange", () => debugText().includes(exchanged), 20_000, 200);
  } finally {
    process.kill(child.pid!, 'SIGTERM');
    assert.is((await done).code, 0);
  }
  const text = debugText();
  for (const expected of [`entry ${GOOD} (ibm-iam, file store)`, `${GOOD}: cache hit`, `${GOOD}: refreshed; next`]) {
    assert.ok(text.includes(expected), `a debug line with "${expected}"\n${text}`);
  }
  assert.not.ok(text.includes(KEY), 'the key is not logged');
});

test('secrets never on disk outside the store', async () => {
  assertNoSecretOnDisk(sb, { 'API key': KEY });
});

test.run();
