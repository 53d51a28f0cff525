// Fetches the platform packages npm did not install on this machine (other targets'
// keyring addons and Bun runtimes) through npm itself: `npm pack name@version` uses
// npm's registry settings and cache, and the tarball is checked against the
// integrity package-lock.json records for that package, so a release embeds exactly
// the bytes the lockfile pins. package.json, package-lock.json and node_modules are
// never touched: tarballs are unpacked into the release's temporary directory.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exitText, run } from './run.mjs';

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));

/** version and integrity package-lock.json records for a package (installed or not). */
export function lockedPackage(root, name) {
  const lock = readJson(join(root, 'package-lock.json'));
  const entry = lock.packages?.[`node_modules/${name}`];
  return entry ? { version: entry.version, integrity: entry.integrity } : undefined;
}

/** The package's directory in node_modules when npm installed it at that version. */
export function installedPackage(root, name, version) {
  const dir = join(root, 'node_modules', name);
  const manifest = join(dir, 'package.json');
  return existsSync(manifest) && readJson(manifest).version === version ? dir : undefined;
}

function checkIntegrity(file, integrity) {
  const [algorithm, expected] = integrity.split(/-(.*)/s);
  const actual = createHash(algorithm).update(readFileSync(file)).digest('base64');
  if (actual !== expected)
    throw new Error(`${file}: ${algorithm} ${actual} does not match package-lock.json (${expected})`);
}

/**
 * `npm pack name@version` into `workDir`, integrity-checked against package-lock.json,
 * unpacked to `workDir/<name>`. Returns that directory.
 */
export async function fetchPackage({ root, name, version, workDir }) {
  const locked = lockedPackage(root, name);
  if (locked && locked.version !== version) {
    throw new Error(`package-lock.json pins ${name}@${locked.version}, but ${version} is needed`);
  }
  mkdirSync(workDir, { recursive: true });
  const npm = await run(
    'npm',
    ['pack', `${name}@${version}`, '--pack-destination', workDir, '--json', '--prefer-offline', '--ignore-scripts'],
    {
      cwd: root,
      timeout: 600_000,
    },
  );
  if (npm.status !== 0) {
    const detail = `${npm.stderr}`
      .split('\n')
      .filter((l) => /^npm (error|ERR!)/.test(l) && !/^npm \S+\s+at /.test(l))
      .map((l) => l.replace(/^npm (error|ERR!)\s*/, ''))
      .filter(Boolean)
      .slice(0, 4)
      .join('; ');
    throw new Error(`npm pack ${name}@${version}: ${exitText(npm)}: ${detail || npm.stderr.trim().slice(-400)}`);
  }
  const [packed] = JSON.parse(npm.stdout.slice(npm.stdout.indexOf('[')));
  const tarball = join(workDir, packed.filename);
  // npm already checks the registry's own integrity; this pins it to our lockfile.
  if (locked?.integrity) checkIntegrity(tarball, locked.integrity);
  const dir = join(workDir, name);
  mkdirSync(dir, { recursive: true });
  const tar = await run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1', '--no-same-owner']);
  if (tar.status !== 0) throw new Error(`tar -xzf ${tarball}: ${exitText(tar)} ${tar.stderr.trim()}`);
  return { dir, pinned: Boolean(locked?.integrity) };
}
