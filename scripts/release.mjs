#!/usr/bin/env node
// `npm run release`: builds docker-credential-lanyard for every target from this machine
// with `bun build --compile` (same flags as scripts/build.mjs), each with its own
// keyring addon, verifies and smoke-tests them, and writes into dist-release/
//   docker-credential-lanyard-<version>-<os>-<arch>[.exe]   the bare program
//   lanyard-<version>-<os>-<arch>.tar.gz (.zip for Windows)  program(s), completions, man page, README
//                                                           (release/archive.mjs)
//   lanyard_<version>_<amd64|arm64>.deb                     for Linux (release/deb.mjs)
//   lanyard.rb, lanyard.json                                Homebrew formula, Scoop manifest (release/templates.mjs)
//   install.sh                                              the installer (scripts/install.sh)
//   SHA256SUMS                                              over all of them
// Other targets' addons and Bun runtimes come from the npm registry via `npm pack`,
// pinned to package-lock.json's integrity (see release/fetch.mjs); nothing in
// package.json, package-lock.json or node_modules changes.
//
//   node scripts/release.mjs [--targets linux-x64,linux-arm64] [--strict] [--no-install] [--out DIR]
//                            [--base-url URL]   (where the archives will be served, for the formula and manifest)
//
// Exit status: 1 when linux-x64 (or, with --strict, any target, including a skipped
// smoke test) fails; otherwise 0, with failed targets reported and left out.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compile, makeOverlay } from './release/compile.mjs';
import { fetchPackage, installedPackage } from './release/fetch.mjs';
import { completions, manPage } from './release/cli-docs.mjs';
import { releaseFront } from './release/front.mjs';
import { adhocSign } from './release/macho-sign.mjs';
import { debName, hasDpkgDeb, writeDeb } from './release/deb.mjs';
import { archiveDir, archiveName, releaseTime, writeArchive } from './release/archive.mjs';
import { run, stopRunning } from './release/run.mjs';
import { ensureQemu, smokeTest } from './release/smoke.mjs';
import { CLI_PROGRAM, TARGETS, artifactName, isHostTarget } from './release/targets.mjs';
import { writeTemplates } from './release/templates.mjs';
import { checkEmbeddedAddon, checkMachoSignature, fileType } from './release/verify.mjs';

const started = performance.now();
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    targets: { type: 'string' },
    strict: { type: 'boolean', default: false },
    'no-install': { type: 'boolean', default: false },
    out: { type: 'string' },
    'base-url': { type: 'string' },
  },
});
const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const version = readJson(join(root, 'package.json')).version;
const keyringVersion = readJson(join(root, 'node_modules', '@napi-rs', 'keyring', 'package.json')).version;
const bunVersion = readJson(join(root, 'node_modules', 'bun', 'package.json')).version;
const outDir = resolve(root, values.out ?? 'dist-release');
// .invalid cannot resolve: a formula written without --base-url cannot download from a wrong place.
const baseUrl = values['base-url'] ?? `https://releases.invalid/lanyard/${version}`;
const packageJson = readJson(join(root, 'package.json'));
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
const owned = (name) =>
  ['SHA256SUMS', '.staging', 'lanyard.rb', 'lanyard.json', 'install.sh'].includes(name) ||
  /^(docker-credential-lanyard-|lanyard-|lanyard_)/.test(name);
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
let qemuSetup, docs;
const fetches = new Map();
const results = [];
const mtime = await releaseTime(root);
try {
  for (const target of targets) results.push(await releaseTarget(target));
  await Promise.all(results.map((r) => r.packaged));
} finally {
  cleanup();
}

/** The addon and Bun runtime a target needs (npm pack for other platforms'). */
async function fetchTarget(target) {
  const workDir = join(work, target.name, 'packages');
  const installed = installedPackage(root, target.addonPackage, keyringVersion);
  const addon = installed
    ? { dir: installed }
    : await fetchPackage({ root, name: target.addonPackage, version: keyringVersion, workDir });
  if (isHostTarget(target)) return { addon, installed };
  const runtime = await fetchPackage({ root, name: target.runtimePackage, version: bunVersion, workDir });
  return { addon, installed, runtimeExecutable: join(runtime.dir, 'bin', target.os === 'win32' ? 'bun.exe' : 'bun') };
}

// Fetching is mostly waiting on npm and the disk: the next target's packages are fetched while this one builds.
function fetchOnce(target) {
  if (!fetches.has(target.name)) {
    const fetching = fetchTarget(target);
    fetching.catch(() => {}); // reported when the target awaits it
    fetches.set(target.name, fetching);
  }
  return fetches.get(target.name);
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
    const fetching = fetchOnce(target);
    const next = targets[targets.indexOf(target) + 1];
    if (next) fetchOnce(next);
    const { addon, installed, runtimeExecutable } = await fetching;
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
    result.programs = await programsOf(target, result);
    result.packaged = packageTarget(target, result);
  } catch (error) {
    result.error = error instanceof Error ? error.message : String(error);
    if (!('smoke' in result.times) && 'verify' in result.times) result.smoke = `FAILED: ${result.error}`;
    lap('failed');
    rmSync(staged, { force: true });
    if (result.file) rmSync(join(outDir, result.file), { force: true }); // its front failed: no half pair ships
    result.file = undefined;
    rmSync(dir, { recursive: true, force: true });
    log(`${target.name}: FAILED: ${result.error}`);
  }
  return result;
}

/**
 * What a target installs. Unix targets ship a pair (scripts/release/front.mjs): the Bun program as `lanyard`, first
 * (the .deb's dependencies are read from it), and the native front as `docker-credential-lanyard`; Windows one exe.
 */
async function programsOf(target, result) {
  const lanyard = join(outDir, result.file);
  if (target.os === 'win32') return [{ name: `${CLI_PROGRAM}${target.ext}`, file: lanyard }];
  const front = await releaseFront(target, { version, outDir });
  if (front.status !== 'ok') throw new Error(front.error ?? 'the front did not build');
  result.front = front;
  result.smoke += `; ${front.smoke}`;
  return [
    { name: 'lanyard', file: lanyard },
    { name: CLI_PROGRAM, file: join(outDir, front.file) },
  ];
}

/** Completions and man page, made once from the host's binary (built here when it is not a target). */
function cliDocs() {
  docs ??= (async () => {
    const host = results.find((r) => r.programs && isHostTarget(TARGETS.find((t) => t.name === r.target)));
    let binary = host?.programs[0].file;
    if (!binary) {
      binary = join(work, 'host', CLI_PROGRAM);
      const build = await run(process.execPath, [join(root, 'scripts', 'build.mjs'), '--outfile', binary]);
      if (build.status !== 0) throw new Error(`building the host binary for the man page: ${build.stderr.trim()}`);
    }
    const license = join(root, 'LICENSE');
    if (!existsSync(license)) log('note: the repository has no LICENSE file; archives and packages ship without one');
    const date = new Date(mtime * 1000).toISOString().slice(0, 10);
    return {
      cli: CLI_PROGRAM,
      completions: await completions(binary, CLI_PROGRAM),
      man: await manPage(binary, { name: CLI_PROGRAM, packageName: 'lanyard', version, date }),
      license: existsSync(license) ? readFileSync(license) : undefined,
    };
  })();
  return docs;
}

/**
 * Writes a passed target's archive (and .deb for Linux) while later targets build. A target
 * whose packages fail is failed, and none of its files are left.
 */
async function packageTarget(target, result) {
  const started = performance.now();
  try {
    const context = { root, outDir, target, version, programs: result.programs, docs: await cliDocs(), mtime };
    const writing = [writeArchive(context).then((archive) => ({ ...archive, dir: archiveDir(target, version) }))];
    if (target.os === 'linux' && !hasDpkgDeb()) {
      result.status = 'unverified';
      result.smoke += '; no .deb: dpkg-deb is missing';
    } else if (target.os === 'linux') {
      const maintainer = packageJson.author ?? 'lanyard maintainers <lanyard@invalid>';
      writing.push(writeDeb({ ...context, workDir: join(work, target.name), maintainer }));
    }
    // Both are written before either is judged, so a failure leaves no half-made file behind.
    const written = await Promise.allSettled(writing);
    const failure = written.find((w) => w.status === 'rejected');
    if (failure) throw failure.reason;
    result.packages = written.map((w) => w.value);
  } catch (error) {
    result.status = 'failed';
    result.error = `packaging: ${error instanceof Error ? error.message : String(error)}`;
    for (const name of [result.file, result.front?.file, archiveName(target, version), debName(target, version)]) {
      if (!name) continue;
      rmSync(join(outDir, name), { force: true });
    }
    result.file = undefined;
    log(`${target.name}: FAILED: ${result.error}`);
  }
  result.times.package = performance.now() - started;
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

// Every file of the release, with its size on disk and the bytes it holds unpacked.
const shipped = results.filter((r) => r.file);
const sha256Of = (name) =>
  createHash('sha256')
    .update(readFileSync(join(outDir, name)))
    .digest('hex');
const artifacts = shipped.flatMap((r) => [
  { name: r.file, sha256: r.sha256, unpacked: r.size },
  ...(r.front ? [{ name: r.front.file, sha256: r.front.sha256, unpacked: r.front.size }] : []),
  ...(r.packages ?? []).map((p) => ({ name: p.name, sha256: sha256Of(p.name), unpacked: p.uncompressed })),
]);
const archives = new Map(
  shipped.map((r) => {
    const archive = artifacts.find((a) => a.name === r.packages[0].name);
    return [r.target, { ...archive, dir: r.packages[0].dir, programs: r.programs }];
  }),
);
if (shipped.length) {
  const templates = writeTemplates({ root, outDir, version, baseUrl, archives, cli: CLI_PROGRAM });
  copyFileSync(join(root, 'scripts', 'install.sh'), join(outDir, 'install.sh'));
  artifacts.push(...[...templates, 'install.sh'].map((name) => ({ name, sha256: sha256Of(name) })));
  artifacts.sort((a, b) => a.name.localeCompare(b.name));
  // SHA256SUMS in the format `sha256sum -c` reads, for the artifacts that made it.
  writeFileSync(join(outDir, 'SHA256SUMS'), artifacts.map((a) => `${a.sha256}  ${a.name}\n`).join(''));
  const check = await run('sha256sum', ['-c', '--strict', 'SHA256SUMS'], { cwd: outDir });
  if (!check.error && check.status !== 0) {
    log(`sha256sum -c SHA256SUMS failed: ${check.stdout}${check.stderr}`);
    for (const r of shipped) r.status = 'failed';
  }
}

/** Prints rows as a table, the first row as its header. */
function table(rows) {
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
}
const mib = (bytes) => (bytes < 2 ** 20 ? `${(bytes / 1024).toFixed(1)} KiB` : `${(bytes / 2 ** 20).toFixed(1)} MiB`);

table([
  ['artifact', 'size', 'unpacked'],
  ...artifacts.map((a) => {
    const size = statSync(join(outDir, a.name)).size;
    return [a.name, mib(size), a.unpacked && a.unpacked !== size ? mib(a.unpacked) : '-'];
  }),
]);

const clip = (text) => (text.length > 110 ? `${text.slice(0, 109)}…` : text); // the full reason is logged above
const rows = [['target', 'status', 'size', 'sha256', 'smoke', 'fetch', 'build', 'verify', 'smoke time', 'package']];
for (const r of results) {
  rows.push([
    r.target,
    r.status,
    r.size ? mib(r.size) : '-',
    r.sha256 ? r.sha256.slice(0, 12) : '-',
    clip(r.status === 'failed' && r.smoke === '-' ? `not reached: ${r.error}` : r.smoke),
    ...['fetch', 'build', 'verify', 'smoke', 'package'].map((k) => (k in r.times ? seconds(r.times[k]) : '-')),
  ]);
}
table(rows);
const total = performance.now() - started;
console.log(
  `\n${shipped.length}/${results.length} target(s), ${artifacts.length} artifact(s) in ${outDir}` +
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
