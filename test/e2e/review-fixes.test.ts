// Regressions found in code review: each test failed (or hung) on the code before its fix.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import type { Sandbox } from './support/sandbox.js';
import { runHelper, store } from './support/helper.js';
import { assertOneLineError, assertSilentOk } from './support/asserts.js';
import { describe } from './support/run.js';
import {
  daemonCommand,
  fileStoreSandbox,
  loginIam,
  loginOk,
  sleep,
  startDaemon,
  type Daemon,
} from './support/exchange-env.js';

const KEY = `review-key-${randomBytes(16).toString('hex')}`;
let sb: Sandbox;
let iam: iamFixture.IamHandle | undefined;
let daemon: Daemon | undefined;

test.before(async () => {
  sb = fileStoreSandbox('review-fixes');
  iam = await iamFixture.start({ apikeys: [KEY], tokenLifetimeSeconds: 30 });
});

test.after(async () => {
  try {
    if (daemon?.running()) await daemon.stop(3000);
  } catch (error) {
    console.error('[review-fixes] daemon stop:', error);
  }
  try {
    await iam?.stop();
  } catch (error) {
    console.error('[review-fixes] iam stop:', error);
  }
  sb?.cleanup();
});

type MappingEntry = { server: string; kind: string; username: string; options?: Record<string, string> };
const mappingEntry = (server: string) =>
  (JSON.parse(readFileSync(sb.mappingFile, 'utf8')).entries as MappingEntry[]).find((e) => e.server === server);

test('docker login again with the same user keeps the kind and the provider options set by login', async () => {
  await loginOk(sb.env, 'private.us.icr.io', 'iamapikey', 'key-1', [
    '--iam-endpoint',
    'https://private.iam.cloud.ibm.com',
  ]);
  await loginOk(sb.env, 'registry.example.test', 'me', 'pw-1', ['--kind', 'oauth2']);
  assertSilentOk(
    await store(sb.env, { ServerURL: 'private.us.icr.io', Username: 'iamapikey', Secret: 'key-2' }),
    'store (rotated key)',
  );
  assertSilentOk(
    await store(sb.env, { ServerURL: 'registry.example.test', Username: 'me', Secret: 'pw-2' }),
    'store (new password)',
  );
  assert.equal(
    mappingEntry('private.us.icr.io')?.options,
    { iamEndpoint: 'https://private.iam.cloud.ibm.com' },
    'private IAM endpoint kept',
  );
  assert.is(mappingEntry('registry.example.test')?.kind, 'oauth2', 'explicit kind kept');
  // Another user is another login: its kind is inferred afresh.
  assertSilentOk(
    await store(sb.env, { ServerURL: 'registry.example.test', Username: 'someone-else', Secret: 'pw-3' }),
    'store (other user)',
  );
  assert.is(mappingEntry('registry.example.test')?.kind, 'static');
});

test('an IPv6 zone id is bad input with a clear line, not an internal error', async () => {
  const r = await runHelper(['get'], { env: sb.env, stdin: '[fe80::1%eth0]:5000' });
  assertOneLineError(r, 'get with a zone id');
  assert.match(r.stdout, /invalid IPv6 address/);
  assert.not.match(r.stdout, /internal error/);
});

test('a login while the daemon is mid-refresh does not stop the daemon refreshing that entry', async () => {
  await loginIam(sb.env, 'review.registry.test', KEY, iam!.url);
  iam!.faults.latencyMs = 2000;
  daemon = await startDaemon(sb);
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

test.run();
