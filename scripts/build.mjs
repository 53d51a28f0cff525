#!/usr/bin/env node
// Builds this machine's pair into dist-bin/: `lanyard`, the standalone Bun program (one file that embeds the
// runtime, our code and the keyring addon; Bun from the npm registry, pinned in package.json), and, on Linux and
// macOS, `docker-credential-lanyard`, the native front that answers the agent's hits and hands everything else to
// `lanyard` beside it (front/, built by scripts/release/front.mjs). On Windows the Bun program is the helper.
// `node scripts/build.mjs [--target bun-linux-arm64 --outfile PATH]` cross-compiles the Bun program alone.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BUILD_FLAGS, ENTRY_POINTS } from './build-flags.mjs';
import { buildFront } from './release/front.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { target: { type: 'string' }, outfile: { type: 'string' } } });
const windows = process.platform === 'win32';
const dist = join(root, 'dist-bin');
const outfile = values.outfile ?? join(dist, windows ? 'docker-credential-lanyard.exe' : 'lanyard');
mkdirSync(dirname(outfile), { recursive: true });

const bun = join(root, 'node_modules', '.bin', 'bun');
const args = ['build', ...BUILD_FLAGS, ...ENTRY_POINTS.map((entry) => join(root, entry)), '--outfile', outfile];
if (values.target) args.push('--target', values.target);
execFileSync(bun, args, { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
console.log(`built ${outfile}`);

if (!values.target && !values.outfile && !windows) {
  const front = join(dist, 'docker-credential-lanyard');
  buildFront({ os: process.platform, arch: process.arch }, front);
  console.log(`built ${front} (the front; it runs ${outfile})`);
}
