// The release's artifacts for the package tests: the directory CI built with every target
// ($LANYARD_RELEASE_DIR), else a linux-x64-only release built once here into a temporary directory.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

export const VERSION: string = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).version;

/** Name → SHA-256, as the release's SHA256SUMS lists them. */
export function checksums(dir: string): Map<string, string> {
  const lines = readFileSync(join(dir, 'SHA256SUMS'), 'utf8').trim().split('\n');
  return new Map(lines.map((line) => [line.slice(66), line.slice(0, 64)]));
}

let built: string | undefined;

/** A release directory holding at least the linux-x64 artifacts. */
export function releaseDir(): string {
  const given = process.env.LANYARD_RELEASE_DIR;
  if (given) {
    if (!existsSync(join(given, 'SHA256SUMS'))) throw new Error(`LANYARD_RELEASE_DIR=${given} holds no SHA256SUMS`);
    return given;
  }
  if (built) return built;
  const dir = mkdtempSync(join(tmpdir(), 'lanyard-release-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const release = spawnSync(
    process.execPath,
    [join(REPO_ROOT, 'scripts', 'release.mjs'), '--targets', 'linux-x64', '--out', dir],
    { encoding: 'utf8', timeout: 600_000 },
  );
  if (release.status !== 0) throw new Error(`release for linux-x64 failed:\n${release.stdout}${release.stderr}`);
  built = dir;
  return dir;
}
