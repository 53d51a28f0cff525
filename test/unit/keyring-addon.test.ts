// The private copy of the keyring addon that the Windows exe loads when Bun cannot load its embedded one in
// place: written once, named by hash, compared before every load, rewritten when it differs. Exercised here with
// this platform's addon (Node's process.dlopen loads it as Bun's does on Windows).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { loadPrivateCopy } from '../../src/secrets/keyring-addon.js';

const require = createRequire(import.meta.url);
const addonPackage = `@napi-rs/keyring-${process.platform}-${process.arch}-gnu`;
const addonFile = (() => {
  try {
    const dir = dirname(require.resolve(`${addonPackage}/package.json`));
    const name = readdirSync(dir).find((file) => file.endsWith('.node'));
    return name ? join(dir, name) : undefined;
  } catch {
    return undefined;
  }
})();
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const dir = mkdtempSync(join(tmpdir(), 'lanyard-addon-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

(addonFile ? test : test.skip)('copied once by hash, loaded, reused; a copy that differs is replaced', () => {
  const bytes = readFileSync(addonFile!);
  const name = `keyring-${sha256(bytes).slice(0, 32)}.node`;
  // Set up before anything is loaded: writing into a loaded library would crash this process (SIGBUS).
  const tamperedDir = join(dir, 'tampered');
  mkdirSync(tamperedDir);
  writeFileSync(join(tamperedDir, name), Buffer.concat([bytes.subarray(0, 1000), Buffer.from('tampered')]));

  const addons = join(dir, 'addons');
  assert.type(loadPrivateCopy(bytes, addons, sha256).Entry, 'function');
  assert.equal(readdirSync(addons), [name]);
  const written = statSync(join(addons, name)).mtimeMs;
  loadPrivateCopy(bytes, addons, sha256);
  assert.is(statSync(join(addons, name)).mtimeMs, written, 'an identical copy is not written again');

  assert.type(loadPrivateCopy(bytes, tamperedDir, sha256).Entry, 'function');
  assert.ok(readFileSync(join(tamperedDir, name)).equals(bytes), 'the differing copy was replaced before loading');
  assert.equal(readdirSync(tamperedDir), [name], 'no temp file left');
});

test.run();
