// Where the repository and the helper binary are, independent of the current directory.
//
// The tests run a private snapshot of the binary, copied once per test process: `npm run build`
// (Bun) rewrites dist-bin/docker-credential-lanyard in place, so a build running while tests run
// (another terminal, another agent) would otherwise make spawns fail with ETXTBSY or run a
// half-written file. The snapshot is taken when the file is not changing, and removed at exit.
//
// LANYARD_E2E_BIN runs the suite against another build of the helper (any path; the snapshot is
// named docker-credential-lanyard so that clients find it on PATH).
import { fileURLToPath } from 'node:url';
import { dirname, join, resolve } from 'node:path';
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The binary the build produces (or LANYARD_E2E_BIN). */
export const SOURCE_BIN = process.env.LANYARD_E2E_BIN
  ? resolve(process.env.LANYARD_E2E_BIN)
  : resolve(REPO_ROOT, 'dist-bin', 'docker-credential-lanyard');

function snapshot(source: string): string {
  if (!existsSync(source)) return source; // helper.ts reports the missing build
  const dir = mkdtempSync(join(tmpdir(), 'lanyard-bin-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const target = join(dir, 'docker-credential-lanyard');
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

/** The binary the tests run. */
export const BIN = snapshot(SOURCE_BIN);
/** Put first on PATH so clients (docker, skopeo) find docker-credential-lanyard. */
export const DIST_BIN = dirname(BIN);
