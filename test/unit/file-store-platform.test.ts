// The file store's protection per platform, and an erase that always takes the secret out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileStore, openToOthers } from '../../src/secrets/file-store.js';

const dir = mkdtempSync(join(tmpdir(), 'lanyard-file-store-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('POSIX: a file others can read is refused, naming the chmod that fixes it', () => {
  const problem = openToOthers('/home/u/secrets.json', 0o100644, 'linux');
  assert.is(
    problem?.message,
    'the secrets file /home/u/secrets.json is readable by others (mode 644); ' + 'run: chmod 600 /home/u/secrets.json',
  );
  assert.is(openToOthers('/home/u/secrets.json', 0o100600, 'darwin'), undefined);
});

test('Windows: no mode bits to judge (every writable file reports 0666); the profile ACL protects it', () => {
  assert.is(openToOthers('C:\\Users\\u\\AppData\\Local\\lanyard\\Data\\secrets.json', 0o100666, 'win32'), undefined);
});

(process.platform === 'win32' ? test.skip : test)(
  'erase takes the secret out even of a file others can read',
  async () => {
    const file = join(dir, 'secrets.json');
    const store = fileStore(file);
    await store.write('a/1', 'first-secret');
    await store.write('b/2', 'second-secret');
    chmodSync(file, 0o644);
    const refused = await store.read('a/1').then(
      () => 'read',
      (error: Error) => error.message,
    );
    assert.match(refused, /is readable by others \(mode 644\)/);
    await store.delete('a/1').catch((error: Error) => assert.unreachable(`erase failed: ${error.message}`));
    assert.not.match(readFileSync(file, 'utf8'), 'first-secret');
    chmodSync(file, 0o600);
    assert.is(await store.read('b/2'), 'second-secret');
    assert.is(await store.read('a/1'), undefined);
  },
);

test.run();
