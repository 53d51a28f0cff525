// A runtime dir too deep for a unix socket path (a deep HOME or XDG_RUNTIME_DIR): the compiled daemon binds its
// socket in the short private /tmp/lanyard-<uid>/ that paths.ts names, and `daemon status` and `get`'s agent find
// it there. On macOS the limit is 103 bytes and the same rule applies (test/unit/platform-paths.test.ts, which also
// has a planted folder refused); this machine's limit is 107.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { daemonPidFile } from '../../src/daemon-files.js';
import { socketPathMax } from '../../src/platform.js';
import { assertCreds, assertOk, assertSilentOk } from './support/asserts.js';
import { daemonCommand, fileStoreSandbox, sleep, waitFor } from './support/exchange-env.js';
import { get, startHelper, store } from './support/helper.js';
import { stopChild } from './support/process.js';

const sb = fileStoreSandbox('deep-run');
const deepRuntimeDir = join(sb.root, 'r'.repeat(60), 's'.repeat(60));
mkdirSync(deepRuntimeDir, { recursive: true, mode: 0o700 });
sb.env.XDG_RUNTIME_DIR = deepRuntimeDir;
const { paths } = loadConfig(sb.env, process.platform);
const login = { ServerURL: 'deep.registry.test', Username: 'deep-user', Secret: `deep-${process.pid}` };
let stopDaemon: (() => Promise<unknown>) | undefined;

test.after(async () => {
  await stopDaemon?.();
  rmSync(paths.daemonSocket, { force: true });
  sb.cleanup();
});

async function startDaemon() {
  const { child } = startHelper(['daemon'], { env: sb.env, timeoutMs: 120_000 });
  stopDaemon = () => stopChild(child, 10_000);
  // The PID file is written once the socket listens: both, and the daemon is up.
  await waitFor(
    'the daemon socket and PID file',
    () => lstatSync(paths.daemonSocket, { throwIfNoEntry: false })?.isSocket() && existsSync(daemonPidFile(paths)),
  );
}

test('the socket goes to the short private folder, and status and the agent reach the daemon there', async () => {
  assert.ok(Buffer.byteLength(join(paths.runtimeDir, 'daemon.sock')) > socketPathMax(process.platform));
  assert.match(paths.daemonSocket, /^\/tmp\/lanyard-\d+\/[0-9a-f]{16}\.sock$/);
  assertSilentOk(await store(sb.env, login), 'store');
  await startDaemon();
  assert.is(lstatSync(dirname(paths.daemonSocket)).mode & 0o777, 0o700);
  const status = await daemonCommand(sb.env, ['status']);
  assertOk(status, 'daemon status');
  assert.match(status.stdout, /agent: 0 static secrets held in memory/);
  assertCreds(await get(sb.env, login.ServerURL), login, 'first get');
  await waitFor('the agent to hold the secret', async () =>
    (await daemonCommand(sb.env, ['status'])).stdout.includes('agent: 1 static secret held in memory'),
  );
  assertCreds(await get(sb.env, login.ServerURL), login, 'get answered by the agent');
  await stopDaemon?.();
  stopDaemon = undefined;
  await sleep(50);
  assert.not.ok(lstatSync(paths.daemonSocket, { throwIfNoEntry: false }), 'the socket is removed at stop');
});

test.run();
