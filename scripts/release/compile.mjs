// Compiles one target with `bun build --compile`. Bun bundles the keyring addon that
// node_modules/@napi-rs/keyring/index.js requires for the target's platform (it folds
// process.platform/arch to constants per --target), so each target is built from an
// overlay tree: a copy of src/ next to a node_modules/ whose entries link to the real
// ones, except @napi-rs/, which holds a copy of @napi-rs/keyring and only the target's
// addon. Bun resolves symlinks to real paths, hence the copies. If the addon cannot be
// resolved Bun does not fail: it compiles a `throw "Cannot require module"`, which is
// why verify.mjs checks every binary for the addon's bytes.
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_FLAGS, ENTRY_POINTS } from '../build-flags.mjs';
import { exitText, run } from './run.mjs';

export function makeOverlay({ root, dir, addonPackage, addonDir }) {
  mkdirSync(join(dir, 'node_modules', '@napi-rs'), { recursive: true });
  cpSync(join(root, 'src'), join(dir, 'src'), { recursive: true });
  for (const file of ['package.json', 'tsconfig.json', 'bunfig.toml']) {
    if (existsSync(join(root, file))) cpSync(join(root, file), join(dir, file));
  }
  const modules = join(root, 'node_modules');
  for (const entry of readdirSync(modules)) {
    if (entry !== '@napi-rs') symlinkSync(join(modules, entry), join(dir, 'node_modules', entry), 'junction');
  }
  for (const entry of readdirSync(join(modules, '@napi-rs'))) {
    // Other platforms' addons stay out, so only the target's one can be bundled.
    if (/^keyring-/.test(entry)) continue;
    const from = join(modules, '@napi-rs', entry),
      to = join(dir, 'node_modules', '@napi-rs', entry);
    if (entry === 'keyring') cpSync(from, to, { recursive: true });
    else symlinkSync(from, to, 'junction');
  }
  cpSync(addonDir, join(dir, 'node_modules', addonPackage), { recursive: true });
}

/** Runs bun build in the overlay; throws with Bun's own error lines on failure. */
export async function compile({ root, overlay, target, outfile, runtimeExecutable }) {
  const bun = join(root, 'node_modules', '.bin', 'bun');
  const args = [
    'build',
    ...BUILD_FLAGS,
    ...ENTRY_POINTS.map((entry) => join(overlay, entry)),
    '--outfile',
    outfile,
    '--target',
    target.bunTarget,
  ];
  if (runtimeExecutable) args.push('--compile-executable-path', runtimeExecutable);
  const build = await run(bun, args, { cwd: overlay, timeout: 600_000 });
  if (build.status !== 0) {
    const output = `${build.stderr}\n${build.stdout}`.trim().split('\n').filter(Boolean).slice(-8).join(' | ');
    throw new Error(`bun build --target ${target.bunTarget}: ${exitText(build)}: ${output}`);
  }
}
