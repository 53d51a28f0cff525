// The native front, `docker-credential-lanyard` on Linux and macOS (front/, Go, standard library only): built for
// any Unix target with the go command (Debian's golang-go), offline and without cgo. The Bun program beside it is
// `lanyard`; Windows keeps the single exe. The version it is built with is stamped into it for `doctor`.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GOARCH = { x64: 'amd64', arm64: 'arm64' };

/** The artifact of the front beside a target's `docker-credential-lanyard-<version>-<target>` (the Bun program). */
export const frontArtifactName = (target, version) => `docker-credential-lanyard-front-${version}-${target.name}`;

/**
 * Builds the front for `target` (`{os: 'linux'|'darwin', arch: 'x64'|'arm64'}`, as in targets.mjs) into `outFile`.
 * -trimpath and an empty build id keep the checkout's path and the build's randomness out of the binary.
 */
export function buildFront(target, outFile) {
  if (!['linux', 'darwin'].includes(target.os) || !GOARCH[target.arch]) {
    throw new Error(`the front is built for linux and darwin on x64 and arm64, not ${target.os}-${target.arch}`);
  }
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const ldflags = `-s -w -buildid= -X main.buildStamp=lanyard-front-version=${version};`;
  const env = { ...process.env, GOOS: target.os, GOARCH: GOARCH[target.arch], CGO_ENABLED: '0', GOFLAGS: '' };
  try {
    execFileSync('go', ['build', '-trimpath', `-ldflags=${ldflags}`, '-o', resolve(outFile), '.'], {
      cwd: join(root, 'front'),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    const said = `${error.stderr ?? ''}`.trim().split('\n').slice(-6).join(' | ');
    const missing = error.code === 'ENOENT' ? 'go is not installed (apt-get install golang-go)' : said;
    throw new Error(`go build of the front for ${target.os}-${target.arch}: ${missing || error.message}`);
  }
}
