// The pair on Linux and macOS: `docker-credential-lanyard` is the native front (front/), which answers the agent's
// hits and runs the `lanyard` beside its resolved path for everything else. doctor tells a front from lanyard
// itself (a single-file install, fine everywhere) and checks that the front's partner is there and of its version.
import { execFileSync } from 'node:child_process';
import { accessSync, constants, openSync, readSync, closeSync, realpathSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** How the build stamps the front (scripts/release/front.mjs); lanyard itself is far larger than any front. */
const STAMP = /lanyard-front-version=([0-9A-Za-z.+~-]{1,40});/;
const MAX_FRONT_BYTES = 16 * 1024 * 1024;

export interface PairReport {
  /** `lanyard` beside the front, when `helper` is a front. */
  lanyard?: string;
  problem?: string;
  fix?: string;
}

/** The version stamped into a front; undefined when `file` is not one (a bare `go build` is not stamped either). */
function frontStamp(file: string): string | undefined {
  const size = statSync(file).size;
  if (size > MAX_FRONT_BYTES) return undefined;
  const bytes = Buffer.alloc(size);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, bytes, 0, size, 0);
  } finally {
    closeSync(fd);
  }
  return STAMP.exec(bytes.toString('latin1'))?.[1];
}

/** Whether the helper PATH finds is a front whose `lanyard` is missing, or of another version. */
export function checkPair(helper: string): PairReport {
  const stamp = frontStamp(helper);
  if (stamp === undefined) return {};
  const lanyard = join(dirname(realpathSync(helper)), 'lanyard');
  const reinstall = `install the release's pair into one directory: docker-credential-lanyard and lanyard`;
  try {
    accessSync(lanyard, constants.X_OK);
  } catch {
    const problem = `${helper} is the native front, and there is no lanyard beside it: ${lanyard}`;
    return { lanyard, problem, fix: reinstall };
  }
  let said = '';
  try {
    said = execFileSync(lanyard, ['version'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch {
    return { lanyard, problem: `${lanyard} (beside the front ${helper}) does not run`, fix: reinstall };
  }
  const version = said.trim().split(' ').pop();
  if (stamp !== version) {
    return {
      lanyard,
      problem: `the front ${helper} is from lanyard ${stamp}, ${lanyard} is ${version}`,
      fix: reinstall,
    };
  }
  return { lanyard };
}
