// The service files `daemon install` writes, checked by their real readers where this machine has
// them: systemd-analyze for the unit, Python's plistlib for the launchd plist.
import { test } from 'uvu';
import { loadConfig } from '../../src/config.js';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  installService,
  launchdPlist,
  serviceTarget,
  uninstallService,
  systemdExecutable,
  systemdUnit,
  xmlText,
} from '../../src/daemon/service-units.js';

const dir = mkdtempSync(join(tmpdir(), 'lanyard-units-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const has = (command: string) => spawnSync(command, ['--version'], { stdio: 'ignore' }).status === 0;

test('ExecStart quotes the executable and doubles % (specifiers); $ stays as it is', () => {
  assert.is(systemdExecutable('/opt/my tools/x%n$HOME'), '"/opt/my tools/x%%n$HOME"');
  assert.match(systemdUnit('/path with space/x'), /^ExecStart="\/path with space\/x" daemon$/m);
});

test('systemd reads the unit with a binary path holding a space, % and $', () => {
  if (!has('systemd-analyze')) {
    console.log('  (skipped: no systemd-analyze)');
    return;
  }
  const binDir = join(dir, 'bin dir %n $HOME');
  mkdirSync(binDir, { recursive: true });
  const binary = join(binDir, 'docker-credential-lanyard');
  copyFileSync('/bin/true', binary);
  const unit = join(dir, 'lanyard-test.service');
  writeFileSync(unit, systemdUnit(binary));
  const r = spawnSync('systemd-analyze', ['verify', '--man=no', unit], { encoding: 'utf8', timeout: 20_000 });
  assert.is(r.status, 0, `systemd-analyze verify:\n${r.stdout}${r.stderr}\n${systemdUnit(binary)}`);
});

test('the plist escapes XML and reads back as the same program path', () => {
  assert.is(xmlText(`a&b<c>"d'`), 'a&#38;b&#60;c&#62;&#34;d&#39;');
  const binary = "/Users/me/a & b <c>/it's/docker-credential-lanyard";
  if (!has('python3')) {
    console.log('  (skipped: no python3)');
    return;
  }
  const script =
    'import plistlib, sys, json\nplist = plistlib.loads(sys.stdin.buffer.read())\n' +
    'print(json.dumps(plist["ProgramArguments"]))';
  const output = execFileSync('python3', ['-c', script], {
    input: launchdPlist(binary, '/Users/me/Library/Logs/lanyard/launchd-stderr.log'),
    encoding: 'utf8',
  });
  const args = JSON.parse(output) as string[];
  assert.equal(args, [binary, 'daemon']);
});

test('a binary path with quotes, backslashes or control characters is refused before anything is written', () => {
  for (const bad of ['/a"b/x', "/a'b/x", '/a\\b/x', '/a\nb/x']) {
    assert.throws(
      () => installService(loadConfig({ HOME: '/nonexistent' }), bad, false),
      /cannot run .*quotes, backslashes or control characters/,
    );
  }
});

/** The plist as launchd's own format reader (Python's plistlib, the same XML format) reads it. */
function readPlist(path: string): Record<string, unknown> {
  const script = 'import plistlib, sys, json\nwith open(sys.argv[1], "rb") as f: print(json.dumps(plistlib.load(f)))';
  return JSON.parse(execFileSync('python3', ['-c', script, path], { encoding: 'utf8' })) as Record<string, unknown>;
}

test('macOS: daemon install writes a launchd agent under an odd HOME that reads back with absolute paths', () => {
  if (!has('python3')) {
    console.log('  (skipped: no python3)');
    return;
  }
  const home = join(dir, "Jo's & <Ann> home é $HOME %n");
  const config = loadConfig({ HOME: home }, 'darwin');
  const binary = join(dir, 'bin & <dir> é', 'docker-credential-lanyard'); // no quote: systemd's rule applies to both
  const path = installService(config, binary, false);
  assert.is(path, join(home, 'Library', 'LaunchAgents', 'io.github.lanyard.daemon.plist'));
  assert.is(statSync(path).mode & 0o777, 0o644, 'launchd refuses an agent others can write');
  const plist = readPlist(path);
  assert.equal(plist.ProgramArguments, [binary, 'daemon']);
  assert.is(plist.Label, 'io.github.lanyard.daemon');
  assert.equal(plist.KeepAlive, { SuccessfulExit: false }, 'restarted after a failure only, as systemd does');
  const stderrFile = plist.StandardErrorPath as string;
  assert.is(stderrFile, join(home, 'Library', 'Logs', 'lanyard', 'launchd-stderr.log'));
  assert.ok(existsSync(join(home, 'Library', 'Logs', 'lanyard')), 'launchd does not create the log folder');
  for (const value of [path, stderrFile, binary]) assert.ok(value.startsWith('/'), value);
  assert.is(uninstallService(config), path, 'removed even where launchctl is missing (here)');
  assert.not.ok(existsSync(path));
});

test('each platform gets its own service manager, and the rest one line', () => {
  const linux = serviceTarget(loadConfig({ HOME: '/home/u' }, 'linux'));
  assert.is(linux.path, '/home/u/.config/systemd/user/lanyard.service');
  assert.equal(linux.enable.at(-1), ['systemctl', '--user', 'enable', '--now', 'lanyard.service']);
  const mac = serviceTarget(loadConfig({ HOME: '/Users/u' }, 'darwin'));
  assert.is(mac.path, '/Users/u/Library/LaunchAgents/io.github.lanyard.daemon.plist');
  assert.equal(mac.enable, [['launchctl', 'load', '-w', mac.path]]);
  assert.throws(
    () => serviceTarget(loadConfig({ APPDATA: 'C:/R' }, 'win32')),
    /supports systemd \(Linux\) and launchd \(macOS\); run `docker-credential-lanyard daemon` from your own/,
  );
});

test('a relative binary path is refused: the service manager starts it from elsewhere', () => {
  const config = loadConfig({ HOME: join(dir, 'rel') }, 'darwin');
  assert.throws(() => installService(config, 'bin/docker-credential-lanyard', false), /absolute path/);
  assert.not.ok(existsSync(join(dir, 'rel', 'Library')));
});

test.run();
