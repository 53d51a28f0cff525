#!/usr/bin/env node
// `npm run release`: builds docker-credential-lanyard for every target from this machine
// with `bun build --compile` (same flags as scripts/build.mjs), each with its own
// keyring addon, verifies and smoke-tests them, and writes
//   dist-release/docker-credential-lanyard-<version>-<os>-<arch>[.exe]  and  SHA256SUMS.
// Other targets' addons and Bun runtimes come from the npm registry via `npm pack`,
// pinned to package-lock.json's integrity (see release/fetch.mjs); nothing in
// package.json, package-lock.json or node_modules changes.
//
//   node scripts/release.mjs [--targets linux-x64,linux-arm64] [--strict] [--no-install] [--out DIR]
//
// Exit status: 1 when linux-x64 (or, with --strict, any target, including a skipped
// smoke test) fails; otherwise 0, with failed targets reported and left out.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compile, makeOverlay } from './release/compile.mjs';
import { fetchPackage, installedPackage } from './release/fetch.mjs';
import { releaseFront } from './release/front.mjs';
import { adhocSign } from './release/macho-sign.mjs';
import { run, stopRunning } from './release/run.mjs';
import { ensureQemu, smokeTest } from './release/smoke.mjs';
import { TARGETS, artifactName, isHostTarget } from './release/targets.mjs';
import { checkEmbeddedAddon, checkMachoSignature, fileType } from './release/verify.mjs';

const started = performance.now();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    targets: { type: 'string' },
    strict: { type: 'boolean', default: false },
    'no-install': { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const version = readJson(join(root, 'package.json')).version;
const keyringVersion = readJson(join(root, 'node_modules', '@napi-rs', 'keyring', 'package.json')).version;
const bunVersion = readJson(join(root, 'node_modules', 'bun', 'package.json')).version;
const outDir = resolve(root, values.out ?? 'dist-release');
const log = (line) => console.log(`release: ${line}`);
const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

const wanted = values.targets
  ? values.targets
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
  : TARGETS.map((t) => t.name);
const unknown = wanted.filter((name) => !TARGETS.some((t) => t.name === name));
if (unknown.length) {
  console.error(`release: unknown target ${unknown.join(', ')}; known: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
const targets = TARGETS.filter((t) => wanted.includes(t.name));

// One release per directory: earlier artifacts (any version) and half-written files go first.
mkdirSync(outDir, { recursive: true });
// Binaries are built under their final name (Bun embeds it as the entry's /$bunfs path) in
// a staging folder on the same file system, and renamed into place once they pass.
const staging = join(outDir, '.staging');
const owned = (name) => name === 'SHA256SUMS' || name === '.staging' || /^docker-credential-lanyard-/.test(name);
for (const name of readdirSync(outDir).filter(owned)) rmSync(join(outDir, name), { recursive: true, force: true });
mkdirSync(staging);

const work = mkdtempSync(join(tmpdir(), 'lanyard-release-'));
const cleanup = () => {
  rmSync(work, { recursive: true, force: true });
  rmSync(staging, { recursive: true, force: true });
};
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
]) {
  process.on(signal, () => {
    log(`${signal}: stopping, removing temporary files`);
    stopRunning();
    cleanup();
    process.exit(code);
  });
}

log(
  `lanyard ${version}, bun ${bunVersion}, @napi-rs/keyring ${keyringVersion}; ` +
    `${targets.length} target(s) into ${outDir}`,
);
let qemuSetup;
const results = [];
try {
  for (const target of targets) {
    results.push(await releaseTarget(target));
    // Unix targets ship a pair: the native front beside lanyard (scripts/release/front.mjs).
    if (target.os !== 'win32') results.push(await releaseFront(target, { version, outDir }));
  }
} finally {
  cleanup();
}

async function releaseTarget(target) {
  const result = { target: target.name, status: 'failed', smoke: '-', times: {} };
  const dir = join(work, target.name);
  const file = artifactName(target, version);
  const staged = join(staging, file);
  let phase = performance.now();
  const lap = (name) => {
    const now = performance.now();
    result.times[name] = now - phase;
    phase = now;
  };
  log(`${target.name}: fetching`);
  try {
    const installed = installedPackage(root, target.addonPackage, keyringVersion);
    const addon = installed
      ? { dir: installed }
      : await fetchPackage({
          root,
          name: target.addonPackage,
          version: keyringVersion,
          workDir: join(dir, 'packages'),
        });
    let runtimeExecutable;
    if (!isHostTarget(target)) {
      const runtime = await fetchPackage({
        root,
        name: target.runtimePackage,
        version: bunVersion,
        workDir: join(dir, 'packages'),
      });
      runtimeExecutable = join(runtime.dir, 'bin', target.os === 'win32' ? 'bun.exe' : 'bun');
    }
    lap('fetch');
    log(
      `${target.name}: addon from ${installed ? 'node_modules' : 'npm pack'}, ` +
        `runtime ${runtimeExecutable ? 'from npm pack' : 'is this bun'}`,
    );

    log(`${target.name}: building (${target.bunTarget})`);
    makeOverlay({ root, dir: join(dir, 'overlay'), addonPackage: target.addonPackage, addonDir: addon.dir });
    await compile({ root, overlay: join(dir, 'overlay'), target, outfile: staged, runtimeExecutable });
    lap('build');

    let binary = readFileSync(staged);
    const type = await fileType(staged);
    if (!target.fileType.test(type)) throw new Error(`file says "${type}", expected ${target.fileType}`);
    checkEmbeddedAddon(binary, target, addon.dir);
    const signature = target.machoCpu ? checkSignature(target, binary, staged) : undefined;
    if (signature?.resigned) binary = readFileSync(staged);
    result.size = binary.length;
    result.sha256 = createHash('sha256').update(binary).digest('hex');
    rmSync(dir, { recursive: true, force: true }); // the runtime (~100 MB) and overlay are done with
    lap('verify');

    log(`${target.name}: smoke test (${target.smoke})`);
    if (target.smoke === 'file') {
      result.smoke = `file: ${type.split(',')[0]}${signature ? `, ${signature.summary}` : ''}`;
      result.status = 'ok';
    } else {
      let qemu;
      if (target.smoke === 'qemu-aarch64') {
        if (!qemuSetup) {
          const setupStarted = performance.now();
          qemuSetup = await ensureQemu({ install: !values['no-install'], log });
          log(
            `qemu-user ${qemuSetup.qemu ? 'ready' : 'unavailable'} ` +
              `after ${seconds(performance.now() - setupStarted)} (not counted in smoke time)`,
          );
          phase += performance.now() - setupStarted;
        }
        qemu = qemuSetup.qemu;
      }
      if (target.smoke === 'qemu-aarch64' && !qemu) {
        result.smoke = `NOT RUN: ${qemuSetup.error}`;
        result.status = 'unverified';
      } else {
        const workDir = join(work, `${target.name}-smoke`);
        result.smoke = `ok (${await smokeTest({ binary: staged, version, workDir, qemu })})`;
        result.status = 'ok';
      }
    }
    lap('smoke');
    renameSync(staged, join(outDir, file));
    result.file = file;
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    if (!('smoke' in result.times) && 'verify' in result.times) result.smoke = `FAILED: ${result.error}`;
    lap('failed');
    rmSync(staged, { force: true });
    rmSync(dir, { recursive: true, force: true });
    log(`${target.name}: FAILED: ${result.error}`);
  }
  return result;
}

/**
 * Mach-O targets must carry a valid signature (Apple Silicon kills unsigned or mis-signed
 * binaries). Bun's is kept when valid; otherwise the binary is ad-hoc signed here.
 */
function checkSignature(target, binary, path) {
  try {
    const { adhoc, identifier } = checkMachoSignature(binary, target.machoCpu);
    // Self-check of our signer against Bun's (same layout): it must reproduce it byte for byte.
    if (adhoc && identifier === 'a.out' && !adhocSign(binary, identifier).equals(binary)) {
      log(`${target.name}: warning: release/macho-sign.mjs does not reproduce Bun's valid signature`);
    }
    return { summary: `${adhoc ? 'ad-hoc' : ''} signature valid`.trim() };
  } catch (error) {
    // Seen with Bun 1.4.4 for darwin-x64: it keeps the runtime's original signature.
    log(`${target.name}: Bun left an invalid code signature (${error.message}); ad-hoc signing it here`);
    const signed = adhocSign(binary, 'docker-credential-lanyard');
    checkMachoSignature(signed, target.machoCpu);
    writeFileSync(path, signed, { mode: 0o755 });
    return { summary: 'ad-hoc re-signed here', resigned: true };
  }
}

// SHA256SUMS in the format `sha256sum -c` reads, for the artifacts that made it.
const shipped = results.filter((r) => r.file).sort((a, b) => a.file.localeCompare(b.file));
if (shipped.length) {
  writeFileSync(join(outDir, 'SHA256SUMS'), shipped.map((r) => `${r.sha256}  ${r.file}\n`).join(''));
  const check = await run('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: outDir });
  if (!check.error && check.status !== 0) {
    log(`sha256sum -c SHA256SUMS failed: ${check.stdout}${check.stderr}`);
    for (const r of shipped) r.status = 'failed';
  }
}

const clip = (text) => (text.length > 110 ? `${text.slice(0, 109)}…` : text); // the full reason is logged above
const rows = [['target', 'status', 'size', 'sha256', 'smoke', 'fetch', 'build', 'verify', 'smoke time']];
for (const r of results) {
  rows.push([
    r.target,
    r.status,
    r.size ? `${(r.size / 2 ** 20).toFixed(1)} MiB` : '-',
    r.sha256 ? r.sha256.slice(0, 12) : '-',
    clip(r.status === 'failed' && r.smoke === '-' ? `not reached: ${r.error}` : r.smoke),
    ...['fetch', 'build', 'verify', 'smoke'].map((k) => (k in r.times ? seconds(r.times[k]) : '-')),
  ]);
}
const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
console.log('');
for (const [i, row] of rows.entries()) {
  console.log(
    row
      .map((cell, j) => cell.padEnd(widths[j]))
      .join('  ')
      .trimEnd(),
  );
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
const total = performance.now() - started;
console.log(
  `\n${shipped.length}/${results.length} artifact(s) in ${outDir}` +
    `${shipped.length ? ' with SHA256SUMS' : ''}; total ${seconds(total)}`,
);

const failed = results.filter((r) => r.status !== 'ok');
const fatal = values.strict
  ? failed
  : failed.filter((r) => TARGETS.find((t) => t.name === r.target).required && r.status === 'failed');
if (failed.length)
  console.log(
    `not ok: ${failed.map((r) => `${r.target} (${r.status})`).join(', ')}` +
      `${fatal.length ? '' : ' (not fatal without --strict)'}`,
  );
process.exitCode = fatal.length ? 1 : 0;
