// The native front, `docker-credential-lanyard` on Linux and macOS (front/, Go, standard library only): built for
// any Unix target with the go command (Debian's golang-go), offline and without cgo. The Bun program beside it is
// `lanyard`; Windows keeps the single exe. The version it is built with is stamped into it for `doctor`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './run.mjs';
import { artifactName } from './targets.mjs';
import { checkMachoSignature, fileType } from './verify.mjs';

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

/**
 * The release's front for one Unix target, beside that target's lanyard artifact: built, its type checked (and on
 * darwin-arm64 the ad-hoc signature Go's linker makes), on this machine's own target run as the pair (`version`
 * through the front answers lanyard's line), then moved into `outDir`. A row of scripts/release.mjs's table.
 */
export async function releaseFront(target, { version, outDir }) {
  const result = { target: target.name, status: 'failed', smoke: '-', times: {} };
  const file = frontArtifactName(target, version);
  const work = mkdtempSync(join(tmpdir(), 'lanyard-front-'));
  const started = performance.now();
  try {
    const staged = join(work, 'docker-credential-lanyard');
    buildFront(target, staged);
    result.times.build = performance.now() - started;
    const type = await fileType(staged);
    if (!target.fileType.test(type)) throw new Error(`file says "${type}", expected ${target.fileType}`);
    const binary = readFileSync(staged);
    if (target.os === 'darwin' && target.arch === 'arm64') checkMachoSignature(binary, target.machoCpu);
    result.smoke = `front: ${type.split(',')[0]}`;
    const lanyard = join(outDir, artifactName(target, version));
    if (target.os === process.platform && target.arch === process.arch && existsSync(lanyard)) {
      copyFileSync(lanyard, join(work, 'lanyard'));
      const said = await run(staged, ['version'], { timeout: 30_000 });
      if (said.status !== 0 || !said.stdout.includes(version)) {
        throw new Error(`the pair's version: ${`${said.stdout}${said.stderr}`.trim() || `exit ${said.status}`}`);
      }
      result.smoke = `front: ok (the pair says ${said.stdout.trim()})`;
    }
    result.times.smoke = performance.now() - started - result.times.build;
    renameSync(staged, join(outDir, file));
    Object.assign(result, {
      status: 'ok',
      file,
      size: binary.length,
      sha256: createHash('sha256').update(binary).digest('hex'),
    });
  } catch (error) {
    result.error = `front: ${error instanceof Error ? error.message : String(error)}`;
    result.smoke = `FAILED: ${result.error}`;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return result;
}
