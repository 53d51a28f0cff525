// The .deb of a Linux target, built with dpkg-deb: the programs in /usr/bin, completions in
// Debian's directories, the man page, copyright and changelog; Depends computed from the binary.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { completionFiles } from './archive.mjs';
import { exitText, run } from './run.mjs';

const DEB_ARCH = { x64: 'amd64', arm64: 'arm64' };
export const debName = (target, version) => `lanyard_${version}_${DEB_ARCH[target.arch]}.deb`;

/** The highest GLIBC_2.x symbol version a binary (with its embedded addon) asks for: the libc6 it depends on. */
export function glibcNeeded(binary) {
  let best = [2, 0];
  const needle = Buffer.from('GLIBC_2.');
  for (let at = binary.indexOf(needle); at !== -1; at = binary.indexOf(needle, at + 1)) {
    const m = /^GLIBC_(\d+)\.(\d+)\0/.exec(binary.toString('latin1', at, at + 16));
    if (m && (+m[1] > best[0] || (+m[1] === best[0] && +m[2] > best[1]))) best = [+m[1], +m[2]];
  }
  return best.join('.');
}

function copyright(docs) {
  const head = 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: lanyard\n\n';
  if (!docs.license)
    return `${head}Files: *\nCopyright: the lanyard authors\nComment: the source declares no license.\n`;
  const body = docs.license
    .toString('utf8')
    .trimEnd()
    .split('\n')
    .map((l) => (l.trim() ? ` ${l}` : ' .'))
    .join('\n');
  return `${head}Files: *\nCopyright: the lanyard authors\nLicense: see below\n${body}\n`;
}

// What lintian says of every Bun-compiled program, which only Bun could change.
const LINTIAN_OVERRIDES = (programs) =>
  programs
    .flatMap((p) => [
      `# Bun's runtime: linked without PIE and RELRO, with symbols, and with its own image libraries.\n`,
      `lanyard: hardening-no-pie [usr/bin/${p.name}]\n`,
      `lanyard: hardening-no-relro [usr/bin/${p.name}]\n`,
      // Stripping would also change the bytes SHA256SUMS gives for the bare program (and save 48 KB).
      `lanyard: unstripped-binary-or-object [usr/bin/${p.name}]\n`,
      `lanyard: embedded-library libjpeg [usr/bin/${p.name}]\n`,
    ])
    .join('');

/** A one-entry Debian changelog: Debian wants one in every package. */
function changelog({ version, maintainer, mtime }) {
  const date = new Date(mtime * 1000).toUTCString().replace('GMT', '+0000');
  return `lanyard (${version}) unstable; urgency=medium\n\n  * lanyard ${version}.\n\n -- ${maintainer}  ${date}\n`;
}

/** Builds the target's .deb with dpkg-deb into outDir; returns its file name and installed bytes. */
export async function writeDeb({ outDir, workDir, target, version, programs, docs, maintainer, mtime }) {
  const tree = join(workDir, `deb-${target.name}`);
  rmSync(tree, { recursive: true, force: true });
  const put = (path, data, mode = 0o644) => {
    mkdirSync(join(tree, path, '..'), { recursive: true });
    if (Buffer.isBuffer(data) || typeof data === 'string') writeFileSync(join(tree, path), data);
    else copyFileSync(data.file, join(tree, path));
    chmodSync(join(tree, path), mode);
  };
  const files = [];
  for (const program of programs) files.push([`usr/bin/${program.name}`, { file: program.file }, 0o755]);
  for (const c of completionFiles(docs.cli)) files.push([c.deb, docs.completions[c.shell]]);
  files.push([`usr/share/man/man1/${docs.cli}.1.gz`, gzipSync(docs.man, { level: 9 })]);
  files.push(['usr/share/doc/lanyard/copyright', copyright(docs)]);
  files.push(['usr/share/doc/lanyard/changelog.gz', gzipSync(changelog({ version, maintainer, mtime }), { level: 9 })]);
  files.push(['usr/share/lintian/overrides/lanyard', LINTIAN_OVERRIDES(programs)]);
  for (const [path, data, mode] of files) put(path, data, mode);

  const md5 = (path) =>
    createHash('md5')
      .update(readFileSync(join(tree, path)))
      .digest('hex');
  const md5sums = files.map(([path]) => `${md5(path)}  ${path}\n`);
  const installedKiB = files.reduce((n, [path]) => n + Math.ceil(statSync(join(tree, path)).size / 1024), 0);
  const binary = readFileSync(programs[0].file);
  put('DEBIAN/md5sums', md5sums.join(''));
  put(
    'DEBIAN/control',
    `Package: lanyard\nVersion: ${version}\nArchitecture: ${DEB_ARCH[target.arch]}\nMaintainer: ${maintainer}\n` +
      `Installed-Size: ${installedKiB}\nDepends: libc6 (>= ${glibcNeeded(binary)}), libgcc-s1 | libgcc1\n` +
      'Section: utils\nPriority: optional\n' +
      'Description: Docker credential helper keeping registry secrets in the OS keychain\n' +
      ' docker-credential-lanyard answers docker, podman, buildah and skopeo from\n' +
      ' secrets kept in the Secret Service (or a 0600 file), and hands out\n' +
      ' short-lived tokens wherever the registry accepts them.\n',
  );
  mkdirSync(outDir, { recursive: true });
  const name = debName(target, version);
  // zstd: a third of gzip's size-equal time on these 110 MB binaries; apt reads it since Debian 12 and Ubuntu 21.10.
  const deb = await run('dpkg-deb', ['--root-owner-group', '-Zzstd', '-z3', '--build', tree, join(outDir, name)], {
    env: { ...process.env, SOURCE_DATE_EPOCH: String(mtime) },
    timeout: 300_000,
  });
  rmSync(tree, { recursive: true, force: true });
  if (deb.status !== 0) throw new Error(`dpkg-deb --build: ${exitText(deb)} ${deb.stderr.trim()}`);
  return { name, uncompressed: installedKiB * 1024 };
}

export const hasDpkgDeb = () =>
  (process.env.PATH ?? '').split(':').some((dir) => dir && existsSync(join(dir, 'dpkg-deb')));
