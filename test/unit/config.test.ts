import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../../src/config.js';

const HOME = '/home/u';

test('defaults: XDG base directories under HOME, containers and docker files, nothing set', () => {
  const config = loadConfig({ HOME }, 'linux');
  assert.equal(config.paths, {
    mappingFile: '/home/u/.config/lanyard/mapping.json',
    secretsFile: '/home/u/.local/share/lanyard/secrets.json',
    runtimeDir: '/home/u/.cache/lanyard/run',
    daemonSocket: '/home/u/.cache/lanyard/run/daemon.sock',
    logDir: '/home/u/.local/state/lanyard',
    addonDir: '/home/u/.local/share/lanyard/addons',
  });
  assert.is(config.clientFiles.dockerConfig, '/home/u/.docker/config.json');
  assert.is(config.clientFiles.containersAuth.at(-1), '/home/u/.config/containers/auth.json');
  assert.equal(config.clientFiles.containersSearch, [
    ...config.clientFiles.containersAuth,
    '/home/u/.docker/config.json',
  ]);
  assert.is(config.systemdUserDir, '/home/u/.config/systemd/user');
  assert.is(config.store, undefined);
  assert.is(config.hubCheckIntervalMs, 6 * 3600_000);
  assert.is(config.keychainTimeoutMs, 5000);
  assert.equal([config.debug, config.logToStderr, config.terminalNotice], [false, false, true]);
  assert.equal(config.problems, []);
});

test('XDG variables, DOCKER_CONFIG and REGISTRY_AUTH_FILE move every path they name', () => {
  const config = loadConfig(
    {
      HOME,
      XDG_CONFIG_HOME: '/c',
      XDG_DATA_HOME: '/d',
      XDG_STATE_HOME: '/s',
      XDG_RUNTIME_DIR: '/run/user/7',
      DOCKER_CONFIG: '/dc',
      REGISTRY_AUTH_FILE: '/a.json',
    },
    'linux',
  );
  assert.is(config.paths.mappingFile, '/c/lanyard/mapping.json');
  assert.is(config.paths.secretsFile, '/d/lanyard/secrets.json');
  assert.is(config.paths.logDir, '/s/lanyard');
  assert.is(config.paths.runtimeDir, '/run/user/7/lanyard');
  assert.is(config.clientFiles.dockerConfig, '/dc/config.json');
  assert.equal(config.clientFiles.containersSearch, ['/a.json'], 'REGISTRY_AUTH_FILE replaces the whole search');
  assert.is(config.systemdUserDir, '/c/systemd/user');
  const withoutAuthFile = loadConfig({ HOME, XDG_CONFIG_HOME: '/c', XDG_RUNTIME_DIR: '/r' }, 'linux').clientFiles;
  assert.equal(withoutAuthFile.containersAuth, ['/r/containers/auth.json', '/c/containers/auth.json']);
});

test('macOS and Windows keep the layout lanyard has always used', () => {
  assert.is(loadConfig({ HOME }, 'darwin').paths.mappingFile, '/home/u/Library/Preferences/lanyard/mapping.json');
  const windows = loadConfig({ APPDATA: 'C:/R', LOCALAPPDATA: 'C:/L' }, 'win32').paths;
  assert.match(windows.mappingFile, /^C:\/R.lanyard.Config.mapping\.json$/);
  assert.match(windows.secretsFile, /^C:\/L.lanyard.Data.secrets\.json$/);
});

test('settings: typed values, and an unusable number falls back to its default with the problem named', () => {
  const config = loadConfig(
    {
      HOME,
      LANYARD_STORE: 'file',
      LANYARD_HUB_CHECK_INTERVAL_S: '90',
      LANYARD_KEYCHAIN_TIMEOUT_MS: 'soon',
      LANYARD_DEBUG: '1',
      LANYARD_LOG_STDERR: '1',
      LANYARD_TTY: '0',
      LANYARD_IAM_ENDPOINT: 'http://127.0.0.1:1',
    },
    'linux',
  );
  assert.is(config.store, 'file');
  assert.is(config.hubCheckIntervalMs, 90_000);
  assert.is(config.keychainTimeoutMs, 5000);
  assert.equal(config.problems, ['LANYARD_KEYCHAIN_TIMEOUT_MS="soon" is not a positive number; using 5000']);
  assert.equal([config.debug, config.logToStderr, config.terminalNotice], [true, true, false]);
  assert.is(config.iamEndpoint, 'http://127.0.0.1:1');
  for (const bad of ['abc', '0', '-5', 'Infinity']) {
    const hub = loadConfig({ HOME, LANYARD_HUB_CHECK_INTERVAL_S: bad }, 'linux');
    assert.is(hub.hubCheckIntervalMs, 6 * 3600_000, `${bad}: NaN or 0 would stop the Hub checks`);
    assert.is(hub.problems.length, 1, bad);
  }
  const vault = loadConfig({ HOME, LANYARD_STORE: 'vault' }, 'linux');
  assert.equal([vault.store, vault.invalidStore], [undefined, 'vault'], 'kept for the store operation to refuse');
  assert.is(loadConfig({ HOME, LANYARD_STORE: '' }, 'linux').invalidStore, undefined, 'empty means unset');
});

/** Every environment variable the configuration reads, from its source: `env.NAME` and `env, 'NAME'`. */
function variablesRead(): Set<string> {
  const source = ['src/config.ts', 'src/paths.ts'].map((file) => readFileSync(file, 'utf8')).join('\n');
  const names = [...source.matchAll(/\benv\.([A-Z][A-Z0-9_]+)|\benv, '([A-Z][A-Z0-9_]+)'/g)];
  return new Set(names.map((m) => m[1] ?? m[2]!));
}

/** The variables docs/environment.md's table documents: the backquoted names in its first column. */
function variablesDocumented(): Set<string> {
  const readme = readFileSync('docs/environment.md', 'utf8');
  const table = readme.slice(readme.indexOf('| variable | default | what it does |'));
  const rows = table.split('\n').filter((line) => line.startsWith('| `'));
  const firstColumns = rows.map((row) => row.split('|')[1]!);
  return new Set(firstColumns.flatMap((cell) => [...cell.matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)));
}

test("docs/environment.md's table lists exactly the variables the configuration reads", () => {
  const read = variablesRead();
  assert.ok(read.has('LANYARD_STORE') && read.has('XDG_RUNTIME_DIR'), `the scan finds variables: ${[...read]}`);
  assert.equal([...variablesDocumented()].sort(), [...read].sort());
});

test('no module but the configuration reads process.env', () => {
  const hits = execFileSync('grep', ['-rln', 'process\\.env', 'src'], { encoding: 'utf8' }).trim().split('\n');
  assert.equal(hits, ['src/config.ts']);
});

test.run();
