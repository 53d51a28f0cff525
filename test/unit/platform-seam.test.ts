// Each behaviour that differs between Linux, macOS and Windows, run here with the platform given (src/platform.ts):
// the helper's name on PATH, what file modes mean, telling a reused PID from a lock's owner, whether the keychain
// can be missing, and whether a credential_process leads its own process group. The paths, the daemon socket, the
// service files, the peer check and the macOS keychain's errors have their own files (platform-paths,
// service-units, peer-credentials, macos-keychain-errors).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { awsFromProcess } from '../../src/clouds/aws/credential-process.js';
import { loadConfig } from '../../src/config.js';
import { checkOnPath } from '../../src/doctor/setup-checks.js';
import { processStartMs } from '../../src/fsutil/lock.js';
import { othersCanChange } from '../../src/fsutil/owner-only.js';
import type { StoreName } from '../../src/mapping/types.js';
import type { SecretStore } from '../../src/secrets/secret-store.js';
import { storeForNewSecret } from '../../src/secrets/select-store.js';

const dir = mkdtempSync(join(tmpdir(), 'lanyard-seam-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const executable = (name: string) => {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\n');
  chmodSync(path, 0o755);
};

test('doctor looks for docker-credential-lanyard.exe on Windows and the bare name elsewhere', () => {
  executable('docker-credential-lanyard.exe');
  const on = (platform: 'win32' | 'darwin' | 'linux') =>
    checkOnPath(loadConfig({ HOME: dir, PATH: dir, APPDATA: dir }, platform)).status;
  assert.is(on('win32'), 'ok');
  assert.is(on('darwin'), 'fail', 'an .exe is not what docker on macOS runs');
  executable('docker-credential-lanyard');
  assert.equal([on('darwin'), on('linux')], ['ok', 'ok']);
});

test('a file others can write is a problem where POSIX modes mean something, not on Windows', () => {
  const uid = process.getuid?.() ?? 0;
  const wide = { mode: 0o100666, uid };
  assert.match(othersCanChange('/x/mapping.json', wide, 'linux')?.problem ?? '', /can be changed by other users/);
  assert.match(othersCanChange('/x/mapping.json', wide, 'darwin')?.fix ?? '', /^chmod go-w/);
  assert.is(othersCanChange('C:/x/mapping.json', wide, 'win32'), undefined, 'Windows reports 0666 for every file');
});

test('only Linux can tell when a PID started (a lock owner reused); macOS and Windows say they cannot', () => {
  assert.is(processStartMs(process.pid, 'darwin'), undefined);
  assert.is(processStartMs(process.pid, 'win32'), undefined);
  if (process.platform !== 'linux') return;
  const started = processStartMs(process.pid, 'linux');
  assert.ok(started !== undefined && Math.abs(started - (Date.now() - process.uptime() * 1000)) < 5000, `${started}`);
});

test('a new secret goes to the keychain on macOS and Windows; on Linux only if a Secret Service answers', async () => {
  const asked: string[] = [];
  const notices: string[] = [];
  const store = (name: StoreName): SecretStore => ({
    name,
    read: async () => undefined,
    write: async () => {},
    delete: async () => {},
    describe: () => name,
    reachable: async () => {
      asked.push(name);
      return false;
    },
  });
  const choose = (platform: 'darwin' | 'win32' | 'linux') =>
    storeForNewSecret(
      {
        config: loadConfig({ HOME: dir }, platform),
        openStore: async (name) => store(name),
        err: (t) => notices.push(t),
      },
      { version: 1, entries: [] },
    );
  assert.is((await choose('darwin')).name, 'keychain');
  assert.is((await choose('win32')).name, 'keychain');
  assert.equal([asked, notices], [[], []], 'the keychain is always there: nothing to ask, no fallback');
  assert.is((await choose('linux')).name, 'file');
  assert.equal(asked, ['keychain']);
  assert.match(notices.join(''), /no Secret Service is reachable; keeping this secret in the file store/);
});

test('a credential_process leads its own process group on POSIX (killed as a group), not on Windows', async () => {
  // The program reports its process group as its access key id: its own PID when it leads a group.
  const program = join(dir, 'credential-process.sh');
  writeFileSync(
    program,
    '#!/bin/sh\nprintf \'{"Version":1,"AccessKeyId":"%s %s","SecretAccessKey":"s"}\' $(ps -o pgid= -p $$) $$\n',
  );
  chmodSync(program, 0o755);
  const keyId = async (platform: 'darwin' | 'win32') =>
    (await awsFromProcess(program, 'p', { env: { PATH: process.env.PATH }, timeoutMs: 10_000, platform })).accessKeyId;
  const [groupOnMac, pidOnMac] = (await keyId('darwin')).split(' ');
  assert.is(groupOnMac, pidOnMac, 'darwin: the child leads its group');
  const [groupOnWindows, pidOnWindows] = (await keyId('win32')).split(' ');
  assert.is.not(groupOnWindows, pidOnWindows, 'win32: no process group of its own (none exist there)');
});

test.run();
