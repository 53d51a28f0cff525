// The macOS release binaries themselves, as scripts/release.mjs builds them: each Mach-O is of its target's
// architecture, carries an intact ad-hoc signature and embeds its own architecture's keyring addon; a corrupted
// copy of each is refused in one line. No Mac runs them here (docs/platforms.md): this is what can be checked
// without one. The release directory is $LANYARD_RELEASE_DIR (CI's, every target), else the two darwin targets are
// built here (about a minute; the Bun runtimes and addons come through `npm pack`, from npm's cache when there).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Target {
  name: string;
  os: string;
  addonFile: string;
  addonPackage: string;
  machoCpu: number;
}
interface Signature {
  adhoc: boolean;
  identifier: string;
  arch: string;
  pages: number;
}
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
// Not literals: the release scripts are plain JavaScript, which TypeScript does not resolve.
const script = (name: string) => join(ROOT, 'scripts', 'release', name);
const { TARGETS, artifactName } = (await import(script('targets.mjs'))) as {
  TARGETS: Target[];
  artifactName(target: Target, version: string): string;
};
const { checkMachoSignature, checkEmbeddedAddon } = (await import(script('verify.mjs'))) as {
  checkMachoSignature(binary: Buffer, cpu: number): Signature;
  checkEmbeddedAddon(binary: Buffer, target: Target, addonDir: string): number;
};
const { fetchPackage } = (await import(script('fetch.mjs'))) as {
  fetchPackage(options: { root: string; name: string; version: string; workDir: string }): Promise<{ dir: string }>;
};

const readVersion = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
const version = readVersion(join(ROOT, 'package.json'));
const keyringVersion = readVersion(join(ROOT, 'node_modules', '@napi-rs', 'keyring', 'package.json'));
const darwin = TARGETS.filter((t) => t.os === 'darwin');
const work = mkdtempSync(join(tmpdir(), 'lanyard-macho-release-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

function releaseDir(): string {
  const given = process.env.LANYARD_RELEASE_DIR;
  if (given) return given;
  const out = join(work, 'release');
  const targets = darwin.map((t) => t.name).join(',');
  const release = spawnSync(
    process.execPath,
    [join(ROOT, 'scripts', 'release.mjs'), '--targets', targets, '--out', out],
    {
      encoding: 'utf8',
      timeout: 900_000,
    },
  );
  assert.is(release.status, 0, `release of ${targets} failed:\n${release.stdout}${release.stderr}`);
  return out;
}

const dir = releaseDir();
const addonDirs = new Map<string, string>();
for (const target of darwin) {
  const fetched = await fetchPackage({
    root: ROOT,
    name: target.addonPackage,
    version: keyringVersion,
    workDir: join(work, target.name),
  });
  addonDirs.set(target.name, fetched.dir);
}
const binaryOf = (target: Target) => {
  const path = join(dir, artifactName(target, version));
  assert.ok(existsSync(path), `${path} is missing from the release`);
  return readFileSync(path);
};

for (const target of darwin) {
  test(`${target.name}: its architecture, an intact ad-hoc signature and its own addon`, () => {
    const binary = binaryOf(target);
    const signature = checkMachoSignature(binary, target.machoCpu);
    assert.is(signature.adhoc, true);
    assert.is(signature.arch, target.name.endsWith('arm64') ? 'arm64' : 'x86_64');
    assert.ok(signature.pages * 4096 >= binary.length - 2 ** 20, `${signature.pages} pages hashed`);
    const addonBytes = checkEmbeddedAddon(binary, target, addonDirs.get(target.name)!);
    assert.ok(addonBytes > 100_000, `${target.addonFile}: ${addonBytes} bytes`);
    console.log(
      `  ${target.name}: ${signature.arch}, ad hoc "${signature.identifier}", ${signature.pages} pages, ` +
        `${target.addonFile} ${addonBytes} bytes`,
    );
  });
}

test('corrupted copies are refused, each in one line', () => {
  const [arm, x64] = [darwin.find((t) => t.name === 'darwin-arm64')!, darwin.find((t) => t.name === 'darwin-x64')!];
  const binary = binaryOf(arm);
  const refused = (copy: Buffer, check: (b: Buffer) => unknown, why: RegExp) => {
    assert.throws(() => check(copy), why);
  };
  const flipped = Buffer.from(binary);
  flipped[Math.floor(binary.length / 2)]! ^= 0xff;
  refused(flipped, (b) => checkMachoSignature(b, arm.machoCpu), /hash mismatch: the binary was modified after signing/);
  refused(binary.subarray(0, binary.length - 4096), (b) => checkMachoSignature(b, arm.machoCpu), /truncated/);
  refused(binary, (b) => checkMachoSignature(b, x64.machoCpu), /Mach-O is arm64, expected x86_64/);
  // The x86_64 addon is not in the arm64 binary, and an arm64 binary with its addon replaced does not carry its own.
  refused(binary, (b) => checkEmbeddedAddon(b, x64, addonDirs.get(x64.name)!), /is not embedded/);
  const addon = readFileSync(join(addonDirs.get(arm.name)!, arm.addonFile));
  const withoutAddon = Buffer.from(binary);
  withoutAddon[binary.indexOf(addon) + 1000]! ^= 0xff;
  refused(withoutAddon, (b) => checkEmbeddedAddon(b, arm, addonDirs.get(arm.name)!), /is not embedded/);
});

test.run();
