// What a person downloads: per target an archive (.tar.gz, or .zip for Windows) holding the
// target's programs, the shell completions, the man page, the LICENSE and a short README; and
// for Linux a .deb. A target ships a list of programs (`{ name, file }`), so a second program
// beside the first needs no change here.
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeTarGz, writeZip } from './archive-writers.mjs';
import { exitText, run } from './run.mjs';

/** Where each file of the CLI's docs goes, in an archive and in the .deb. */
const completionFiles = (cli) => [
  { shell: 'bash', archive: `completions/${cli}.bash`, deb: `usr/share/bash-completion/completions/${cli}` },
  { shell: 'zsh', archive: `completions/_${cli}`, deb: `usr/share/zsh/vendor-completions/_${cli}` },
  { shell: 'fish', archive: `completions/${cli}.fish`, deb: `usr/share/fish/vendor_completions.d/${cli}.fish` },
];

export const archiveName = (target, version) =>
  `lanyard-${version}-${target.name}${target.os === 'win32' ? '.zip' : '.tar.gz'}`;
export const archiveDir = (target, version) => `lanyard-${version}-${target.name}`;

function readme({ root, target, version, programs, contents }) {
  const install =
    target.os === 'win32'
      ? `# copy ${programs.map((p) => p.name).join(', ')} to a directory on your PATH, or: scoop install lanyard.json`
      : `install -m 0755 ${programs.map((p) => `bin/${p.name}`).join(' ')} ~/.local/bin/`;
  return readFileSync(join(root, 'packaging', 'README.archive.md'), 'utf8')
    .replaceAll('{{VERSION}}', version)
    .replaceAll('{{TARGET}}', target.name)
    .replaceAll('{{CONTENTS}}', contents.map((line) => `- ${line}`).join('\n'))
    .replaceAll('{{INSTALL}}', install);
}

/** Writes the target's archive into outDir; returns its file name. */
export async function writeArchive({ root, outDir, target, version, programs, docs, mtime }) {
  const top = `${archiveDir(target, version)}/`;
  const unix = target.os !== 'win32';
  const entries = [{ name: top, mode: 0o755 }];
  const contents = [];
  if (unix) entries.push({ name: `${top}bin/`, mode: 0o755 });
  for (const program of programs) {
    entries.push({ name: `${top}${unix ? 'bin/' : ''}${program.name}`, mode: 0o755, data: readFileSync(program.file) });
  }
  contents.push(`${programs.map((p) => `\`${unix ? 'bin/' : ''}${p.name}\``).join(', ')}: the program(s)`);
  if (unix) {
    entries.push({ name: `${top}completions/`, mode: 0o755 });
    for (const c of completionFiles(docs.cli)) {
      entries.push({ name: `${top}${c.archive}`, mode: 0o644, data: Buffer.from(docs.completions[c.shell]) });
    }
    entries.push({ name: `${top}man/`, mode: 0o755 }, { name: `${top}man/man1/`, mode: 0o755 });
    entries.push({ name: `${top}man/man1/${docs.cli}.1`, mode: 0o644, data: Buffer.from(docs.man) });
    contents.push('`completions/`: bash, zsh and fish completions', `\`man/man1/${docs.cli}.1\`: the man page`);
  }
  if (docs.license) {
    entries.push({ name: `${top}LICENSE`, mode: 0o644, data: docs.license });
    contents.push('`LICENSE`');
  }
  const text = readme({ root, target, version, programs, contents: [...contents, '`README.md`: this file'] });
  entries.push({ name: `${top}README.md`, mode: 0o644, data: Buffer.from(text) });
  const name = archiveName(target, version);
  await (unix ? writeTarGz : writeZip)(join(outDir, name), entries, mtime);
  return { name, uncompressed: entries.reduce((n, e) => n + (e.data?.length ?? 0), 0) };
}

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

/** Builds the target's .deb with dpkg-deb into outDir; returns its file name. */
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

/** Fixed mtime for everything packed: SOURCE_DATE_EPOCH, else the commit's time, so rebuilds are byte-equal. */
export async function releaseTime(root) {
  if (/^\d+$/.test(process.env.SOURCE_DATE_EPOCH ?? '')) return Number(process.env.SOURCE_DATE_EPOCH);
  const git = await run('git', ['log', '-1', '--format=%ct'], { cwd: root });
  return git.status === 0 && /^\d+$/.test(git.stdout.trim()) ? Number(git.stdout.trim()) : 0;
}
