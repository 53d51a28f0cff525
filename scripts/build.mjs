#!/usr/bin/env node
// Builds the standalone binary with Bun (from the npm registry, pinned in
// package.json): one file that embeds the runtime, our code and the keyring addon.
// `node scripts/build.mjs [--target bun-linux-arm64 --outfile PATH]` cross-compiles.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BUILD_FLAGS, ENTRY_POINTS } from './build-flags.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { target: { type: 'string' }, outfile: { type: 'string' } } });
const outfile = values.outfile ?? join(root, 'dist-bin', 'docker-credential-lanyard');
mkdirSync(dirname(outfile), { recursive: true });

const bun = join(root, 'node_modules', '.bin', 'bun');
const args = ['build', ...BUILD_FLAGS, ...ENTRY_POINTS.map((entry) => join(root, entry)), '--outfile', outfile];
if (values.target) args.push('--target', values.target);
execFileSync(bun, args, { stdio: ['ignore', 'ignore', 'inherit'], cwd: root });
console.log(`built ${outfile}`);
