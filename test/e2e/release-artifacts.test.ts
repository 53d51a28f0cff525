// What `npm run release` hands out, checked in the release directory: SHA256SUMS covers every file and
// every file matches it; each archive holds the target's program(s), completions, man page and README
// under one top directory, owned by root with one fixed mtime; the Homebrew formula and the Scoop
// manifest name only archives that exist, with their real checksums.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checksums, releaseDir, VERSION } from './support/release.js';

const PROGRAM = 'docker-credential-lanyard';
const dir = releaseDir();
const sums = checksums(dir);
const sha256 = (name: string) =>
  createHash('sha256')
    .update(readFileSync(join(dir, name)))
    .digest('hex');
const archives = [...sums.keys()].filter((name) => /^lanyard-.*\.(tar\.gz|zip)$/.test(name));

test('SHA256SUMS lists every artifact, and each one matches it', () => {
  const files = readdirSync(dir).filter((name) => name !== 'SHA256SUMS' && !name.startsWith('.'));
  assert.equal([...sums.keys()].sort(), files.sort(), 'SHA256SUMS names exactly the files of the release');
  for (const [name, sum] of sums) assert.is(sha256(name), sum, name);
  assert.ok(archives.includes(`lanyard-${VERSION}-linux-x64.tar.gz`), 'the linux-x64 archive is there');
});

test('each .tar.gz: one top directory, the program, completions, man page, README; root-owned, one mtime', () => {
  for (const name of archives.filter((n) => n.endsWith('.tar.gz'))) {
    const top = name.replace(/\.tar\.gz$/, '');
    const list = spawnSync('tar', ['--numeric-owner', '--full-time', '-tvzf', join(dir, name)], { encoding: 'utf8' });
    assert.is(list.status, 0, `tar -tvzf ${name}: ${list.stderr}`);
    const rows = list.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/));
    const paths = rows.map((row) => row[5]);
    for (const path of [
      `bin/${PROGRAM}`,
      `completions/${PROGRAM}.bash`,
      `completions/_${PROGRAM}`,
      `completions/${PROGRAM}.fish`,
      `man/man1/${PROGRAM}.1`,
      'README.md',
    ]) {
      assert.ok(paths.includes(`${top}/${path}`), `${name} holds ${path}`);
    }
    assert.ok(
      paths.every((p) => p === `${top}/` || p?.startsWith(`${top}/`)),
      `${name}: everything under ${top}/`,
    );
    assert.equal([...new Set(rows.map((row) => row[1]))], ['0/0'], `${name}: owned by root`);
    assert.is(new Set(rows.map((row) => `${row[3]} ${row[4]}`)).size, 1, `${name}: one mtime`);
    assert.match(rows.find((row) => row[5] === `${top}/bin/${PROGRAM}`)?.[0] ?? '', /^-rwxr-xr-x/, 'executable');
  }
});

const zip = archives.find((name) => name.endsWith('.zip'));
(zip ? test : test.skip)('the Windows .zip holds the exe and README, and its CRCs check out', () => {
  const top = zip!.replace(/\.zip$/, '');
  const check = spawnSync('python3', ['-m', 'zipfile', '-t', join(dir, zip!)], { encoding: 'utf8' });
  assert.is(check.status, 0, `python3 -m zipfile -t: ${check.stdout}${check.stderr}`);
  const list = spawnSync('python3', ['-m', 'zipfile', '-l', join(dir, zip!)], { encoding: 'utf8' });
  assert.match(list.stdout, new RegExp(`^${top}/${PROGRAM}\\.exe\\s`, 'm'));
  assert.match(list.stdout, new RegExp(`^${top}/README\\.md\\s`, 'm'));
});

/** `[url, sha256]` pairs a template names: `url "…"` followed by `sha256 "…"`, or Scoop's `url`/`hash`. */
function namedArchives(text: string, hashKey: RegExp): [string, string][] {
  const urls = [...text.matchAll(/"?url"?:?\s+"([^"]+)"/g)].map((m) => m[1]!);
  const hashes = [...text.matchAll(hashKey)].map((m) => m[1]!);
  assert.is(urls.length, hashes.length, 'one checksum per URL');
  return urls.map((url, i) => [url, hashes[i]!]);
}

function assertNamesReleased(pairs: [string, string][], what: string) {
  assert.ok(pairs.length > 0, `${what} names an archive`);
  for (const [url, hash] of pairs) {
    const name = url.slice(url.lastIndexOf('/') + 1);
    assert.ok(existsSync(join(dir, name)), `${what}: ${name} is in the release`);
    assert.is(hash, sha256(name), `${what}: the checksum of ${name}`);
  }
}

test('the Homebrew formula names each Unix archive of the release with its checksum', () => {
  const formula = readFileSync(join(dir, 'lanyard.rb'), 'utf8');
  const pairs = namedArchives(formula, /sha256 "([0-9a-f]{64})"/g);
  assertNamesReleased(pairs, 'lanyard.rb');
  const unix = archives.filter((name) => name.endsWith('.tar.gz'));
  assert.equal(pairs.map(([url]) => url.slice(url.lastIndexOf('/') + 1)).sort(), unix.sort(), 'every Unix archive');
  assert.match(formula, new RegExp(`version "${VERSION.replace(/\./g, '\\.')}"`));
  // The Unix pair: lanyard, and the native front under the helper's name.
  assert.match(formula, new RegExp(`bin\\.install "lanyard", "${PROGRAM}"`));
});

(zip ? test : test.skip)('the Scoop manifest names the Windows archive with its checksum and exe', () => {
  const manifest = JSON.parse(readFileSync(join(dir, 'lanyard.json'), 'utf8'));
  const arch = manifest.architecture['64bit'];
  assertNamesReleased([[arch.url, arch.hash]], 'lanyard.json');
  assert.is(manifest.version, VERSION);
  assert.equal(manifest.bin, [`${PROGRAM}.exe`]);
  assert.is(arch.extract_dir, zip!.replace(/\.zip$/, ''));
});

test.run();
