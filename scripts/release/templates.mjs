// The Homebrew formula and the Scoop manifest, filled in from packaging/*.in with the archives
// this release wrote: each URL is the base URL joined with an archive's name, each checksum
// that archive's SHA-256. A platform whose archive did not make it is left out.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Homebrew's platform blocks and the release targets they take.
const BREW_PLATFORMS = [
  { block: 'on_macos', cpu: 'on_arm', target: 'darwin-arm64' },
  { block: 'on_macos', cpu: 'on_intel', target: 'darwin-x64' },
  { block: 'on_linux', cpu: 'on_arm', target: 'linux-arm64' },
  { block: 'on_linux', cpu: 'on_intel', target: 'linux-x64' },
];

const url = (baseUrl, name) => `${baseUrl.replace(/\/+$/, '')}/${name}`;

function formula({ template, version, baseUrl, archives, cli }) {
  const platforms = [];
  for (const block of ['on_macos', 'on_linux']) {
    const inner = BREW_PLATFORMS.filter((p) => p.block === block && archives.has(p.target)).map((p) => {
      const a = archives.get(p.target);
      return `    ${p.cpu} do\n      url "${url(baseUrl, a.name)}"\n      sha256 "${a.sha256}"\n    end\n`;
    });
    if (inner.length) platforms.push(`  ${block} do\n${inner.join('')}  end\n`);
  }
  const programs = [...archives.values()][0].programs.map((p) => `"${p.name}"`).join(', ');
  return template
    .replaceAll('{{VERSION}}', version)
    .replaceAll('{{BASE_URL}}', baseUrl)
    .replace('{{PLATFORMS}}', platforms.join('\n'))
    .replaceAll('{{PROGRAMS}}', programs)
    .replaceAll('{{CLI}}', cli);
}

function manifest({ template, version, baseUrl, archive }) {
  return template
    .replaceAll('{{VERSION}}', version)
    .replaceAll('{{BASE_URL}}', baseUrl)
    .replaceAll('{{URL_windows-x64}}', url(baseUrl, archive.name))
    .replaceAll('{{SHA256_windows-x64}}', archive.sha256)
    .replaceAll('{{DIR_windows-x64}}', archive.dir)
    .replaceAll('{{PROGRAMS_windows-x64}}', JSON.stringify(archive.programs.map((p) => p.name)));
}

/**
 * Writes lanyard.rb and lanyard.json into outDir. `archives` maps a target name to
 * { name, dir, sha256, programs }. Returns the names of the files written.
 */
export function writeTemplates({ root, outDir, version, baseUrl, archives, cli }) {
  const written = [];
  const read = (path) => readFileSync(join(root, 'packaging', path), 'utf8');
  const unix = new Map([...archives].filter(([target]) => !target.startsWith('windows-')));
  if (unix.size) {
    const text = formula({ template: read('homebrew/lanyard.rb.in'), version, baseUrl, archives: unix, cli });
    writeFileSync(join(outDir, 'lanyard.rb'), text);
    written.push('lanyard.rb');
  }
  const windows = archives.get('windows-x64');
  if (windows) {
    writeFileSync(
      join(outDir, 'lanyard.json'),
      manifest({ template: read('scoop/lanyard.json.in'), version, baseUrl, archive: windows }),
    );
    written.push('lanyard.json');
  }
  return written;
}
