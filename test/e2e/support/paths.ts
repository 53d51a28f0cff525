// Where the repository and the helper binaries are, independent of the current directory.
//
// The build makes a pair: dist-bin/docker-credential-lanyard, the native front that clients run, and
// dist-bin/lanyard beside it, the Bun program it hands all but the agent's hits to. Tests run the front, the path
// every client takes. They run a private snapshot of the pair, copied once per test process: `npm run build`
// rewrites dist-bin in place, so a build running while tests run (another terminal, another agent) would otherwise
// make spawns fail with ETXTBSY or run a half-written file. A file is copied when it is not changing; the snapshot
// is removed at exit.
//
// LANYARD_E2E_BIN runs the suite against another build of the helper (any path; the snapshot is
// named docker-credential-lanyard so that clients find it on PATH; a `lanyard` beside it comes along).
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The binary the build produces (or LANYARD_E2E_BIN). */
export const SOURCE_BIN = process.env.LANYARD_E2E_BIN
  ? resolve(process.env.LANYARD_E2E_BIN)
  : resolve(REPO_ROOT, 'dist-bin', 'docker-credential-lanyard');

function snapshot(source: string, dir: string, name: string): string {
  const target = join(dir, name);
  for (let attempt = 0; attempt < 40; attempt++) {
    const before = statSync(source);
    if (Date.now() - before.mtimeMs > 1000) {
      copyFileSync(source, target);
      const after = statSync(source);
      if (after.mtimeMs === before.mtimeMs && after.size === before.size && statSync(target).size === after.size) {
        chmodSync(target, 0o755);
        return target;
      }
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500); // a build is writing it: wait
  }
  throw new Error(`${source} kept changing for 20 s: is a build running in a loop?`);
}

function snapshotPair(front: string): { front: string; lanyard: string } {
  const lanyard = join(dirname(front), 'lanyard');
  if (!existsSync(front)) return { front, lanyard }; // helper.ts reports the missing build
  const dir = mkdtempSync(join(tmpdir(), 'lanyard-bin-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const copiedLanyard = existsSync(lanyard) ? snapshot(lanyard, dir, 'lanyard') : lanyard;
  return { front: snapshot(front, dir, 'docker-credential-lanyard'), lanyard: copiedLanyard };
}

const pair = snapshotPair(SOURCE_BIN);
/** The binary the tests run: the front, as clients do (with LANYARD_E2E_BIN, whatever that names). */
export const BIN = pair.front;
/** The Bun program beside it, run directly where a test needs it without the front (front-parity.test.ts). */
export const LANYARD_BIN = pair.lanyard;
/** Put first on PATH so clients (docker, skopeo) find docker-credential-lanyard. */
export const DIST_BIN = dirname(BIN);
