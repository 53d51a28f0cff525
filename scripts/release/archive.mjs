// What a person downloads for a target: an archive (.tar.gz, or .zip for Windows) holding the
// target's programs, the shell completions, the man page, the LICENSE and a short README (the
// .deb is release/deb.mjs). A target ships a list of programs (`{ name, file }`), so a second
// program beside the first needs no change here.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeTarGz, writeZip } from './archive-writers.mjs';
import { run } from './run.mjs';

/** Where each file of the CLI's docs goes, in an archive and in the .deb. */
export const completionFiles = (cli) => [
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

/** Writes the target's archive into outDir; returns its file name and the bytes it holds. */
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

/** Fixed mtime for everything packed: SOURCE_DATE_EPOCH, else the commit's time, so rebuilds are byte-equal. */
export async function releaseTime(root) {
  if (/^\d+$/.test(process.env.SOURCE_DATE_EPOCH ?? '')) return Number(process.env.SOURCE_DATE_EPOCH);
  const git = await run('git', ['log', '-1', '--format=%ct'], { cwd: root });
  return git.status === 0 && /^\d+$/.test(git.stdout.trim()) ? Number(git.stdout.trim()) : 0;
}
