// Where lanyard keeps things on each OS, with the platform given (src/platform.ts, src/paths.ts): macOS's
// ~/Library layout and its missing XDG_RUNTIME_DIR, and the unix socket path limit (103 bytes on macOS, 107 on
// Linux) that a deep HOME passes. The last tests bind real sockets on this machine, where Node silently cuts a
// long socket path short (the socket lands in a parent directory) rather than failing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { ensureOwnPrivateDir } from '../../src/fsutil/own-private-dir.js';
import { shortSocketDir } from '../../src/paths.js';
import { socketPathMax } from '../../src/platform.js';

const uid = process.getuid?.() ?? 0;
const bytes = (path: string) => Buffer.byteLength(path);
/** A HOME whose runtime dir's socket path is exactly `length` bytes on macOS (`Library/Caches/lanyard/run`). */
const macHomeFor = (length: number) => {
  const tail = '/Library/Caches/lanyard/run/daemon.sock';
  return `/Users/${'h'.repeat(length - tail.length - '/Users/'.length)}`;
};

test('macOS: ~/Library folders, and the runtime dir under Caches even when XDG_RUNTIME_DIR is set', () => {
  const paths = loadConfig({ HOME: '/Users/ann', XDG_RUNTIME_DIR: '/run/user/501' }, 'darwin').paths;
  assert.equal(paths, {
    mappingFile: '/Users/ann/Library/Preferences/lanyard/mapping.json',
    secretsFile: '/Users/ann/Library/Application Support/lanyard/secrets.json',
    runtimeDir: '/Users/ann/Library/Caches/lanyard/run',
    daemonSocket: '/Users/ann/Library/Caches/lanyard/run/daemon.sock',
    logDir: '/Users/ann/Library/Logs/lanyard',
    addonDir: '/Users/ann/Library/Application Support/lanyard/addons',
  });
  const launchAgents = loadConfig({ HOME: '/Users/ann' }, 'darwin').launchAgentsDir;
  assert.is(launchAgents, '/Users/ann/Library/LaunchAgents');
});

test('Linux takes XDG_RUNTIME_DIR (a tmpfs that dies at logout); without it, a folder of the cache dir', () => {
  assert.is(
    loadConfig({ HOME: '/home/u', XDG_RUNTIME_DIR: '/run/user/7' }, 'linux').paths.runtimeDir,
    '/run/user/7/lanyard',
  );
  assert.is(loadConfig({ HOME: '/home/u' }, 'linux').paths.runtimeDir, '/home/u/.cache/lanyard/run');
  const windows = loadConfig({ LOCALAPPDATA: 'C:\\L', XDG_RUNTIME_DIR: 'C:\\R' }, 'win32').paths;
  assert.ok(windows.daemonSocket.startsWith('C:\\R'), 'Windows is left as it was (the windows lane owns it)');
});

test('the socket path limit: 104-byte sun_path on macOS, 108 on Linux, each less the NUL', () => {
  assert.equal([socketPathMax('darwin'), socketPathMax('linux'), socketPathMax('freebsd')], [103, 107, 103]);
});

test('a socket path of 103 bytes stays in the runtime dir on macOS; 104 bytes moves to a short private dir', () => {
  const fits = loadConfig({ HOME: macHomeFor(103) }, 'darwin').paths;
  assert.is(bytes(join(fits.runtimeDir, 'daemon.sock')), 103);
  assert.is(fits.daemonSocket, join(fits.runtimeDir, 'daemon.sock'));

  const over = loadConfig({ HOME: macHomeFor(104) }, 'darwin').paths;
  assert.is(dirname(over.daemonSocket), shortSocketDir(uid));
  assert.match(over.daemonSocket, /^\/tmp\/lanyard-\d+\/[0-9a-f]{16}\.sock$/);
  assert.ok(bytes(over.daemonSocket) <= socketPathMax('darwin'));
  // The same HOME on Linux has 4 more bytes to go: its socket stays where it was.
  const linux = loadConfig({ HOME: macHomeFor(104), XDG_CACHE_HOME: `${macHomeFor(104)}/Library/Caches` }, 'linux');
  assert.is(linux.paths.daemonSocket, join(linux.paths.runtimeDir, 'daemon.sock'));
});

test('the short socket is the same for one configuration and differs between configurations', () => {
  const deep = `/Users/${'d'.repeat(90)}`;
  const one = loadConfig({ HOME: deep }, 'darwin').paths.daemonSocket;
  assert.is(loadConfig({ HOME: deep }, 'darwin').paths.daemonSocket, one, 'the daemon and get agree');
  assert.is.not(loadConfig({ HOME: `${deep}x` }, 'darwin').paths.daemonSocket, one);
  const unicode = `/Users/${'é'.repeat(40)}`; // 80 bytes in 40 characters: the limit is in bytes
  assert.ok(bytes(loadConfig({ HOME: unicode }, 'darwin').paths.daemonSocket) <= 103);
  assert.is(dirname(loadConfig({ HOME: unicode }, 'darwin').paths.daemonSocket), shortSocketDir(uid));
});

test('a relative or empty HOME is no home: every path stays absolute', () => {
  for (const HOME of ['relative/home', '', '.']) {
    for (const platform of ['darwin', 'linux'] as const) {
      const config = loadConfig({ HOME }, platform);
      for (const path of [...Object.values(config.paths), config.launchAgentsDir, config.systemdUserDir]) {
        assert.ok(isAbsolute(path), `${platform} HOME=${JSON.stringify(HOME)}: ${path}`);
      }
    }
  }
});

// ---- on this machine: a real socket at the path chosen -------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'lanyard-paths-'));
const servers: Server[] = [];
test.after(() => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

const listen = (path: string) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    servers.push(server);
    server.once('error', reject);
    server.listen(path, () => resolve(server));
  });

test('a deep HOME on this machine: the daemon socket is bound exactly where get will look for it', async () => {
  const home = join(dir, 'h'.repeat(120));
  const { paths } = loadConfig({ HOME: home }, process.platform);
  assert.ok(bytes(join(paths.runtimeDir, 'daemon.sock')) > socketPathMax(process.platform));
  ensureOwnPrivateDir(dirname(paths.daemonSocket), 'the daemon socket directory');
  assert.is(lstatSync(dirname(paths.daemonSocket)).mode & 0o777, 0o700);
  rmSync(paths.daemonSocket, { force: true });
  await listen(paths.daemonSocket);
  assert.ok(lstatSync(paths.daemonSocket).isSocket(), `no socket at ${paths.daemonSocket}`);
  rmSync(paths.daemonSocket, { force: true });
});

test('the socket directory is refused when it is a symlink or not owned by this user, and narrowed to 0700', () => {
  const planted = join(dir, 'planted');
  mkdirSync(join(dir, 'elsewhere'));
  symlinkSync(join(dir, 'elsewhere'), planted);
  assert.throws(
    () => ensureOwnPrivateDir(planted, 'the daemon socket directory'),
    /planted is not a directory owned by you; remove it/,
  );
  const wide = join(dir, 'wide');
  mkdirSync(wide, { mode: 0o755 });
  ensureOwnPrivateDir(wide, 'the daemon socket directory');
  assert.is(lstatSync(wide).mode & 0o777, 0o700);
  if (uid === 0) {
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    chownSync(foreign, 4242, 4242);
    assert.throws(() => ensureOwnPrivateDir(foreign, 'the daemon socket directory'), /not a directory owned by you/);
  }
  assert.ok(existsSync(join(dir, 'elsewhere')));
});

test.run();
