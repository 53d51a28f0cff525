// The service files `daemon install` writes, checked by their real readers where this machine has
// them: systemd-analyze for the unit, Python's plistlib for the launchd plist.
import { test } from 'uvu';
import { loadConfig } from '../../src/config.js';
import * as assert from 'uvu/assert';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  installService,
  launchdPlist,
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
  const output = execFileSync('python3', ['-c', script], { input: launchdPlist(binary), encoding: 'utf8' });
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

test.run();
