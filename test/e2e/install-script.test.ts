// scripts/install.sh against a local HTTP server on 127.0.0.1 that serves a real release's
// linux-x64 archive and SHA256SUMS, and tampered copies of them: it installs the program that
// SHA256SUMS names (with curl, and with wget), and every failure (corrupt download, wrong
// checksum, architecture not released, unwritable or read-only directory, no curl or wget, no
// address) is one line on stderr and leaves the install directory exactly as it was.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './support/paths.js';
import { checksums, releaseDir, VERSION } from './support/release.js';
import { describe, run, type RunResult } from './support/run.js';

const SCRIPT = join(REPO_ROOT, 'scripts', 'install.sh');
const ARCHIVE = `lanyard-${VERSION}-linux-x64.tar.gz`;
const PROGRAM = 'docker-credential-lanyard';
const release = releaseDir();
const sums = readFileSync(join(release, 'SHA256SUMS'), 'utf8');
const archive = readFileSync(join(release, ARCHIVE));
const root = mkdtempSync(join(tmpdir(), 'lanyard-install-'));
chmodSync(root, 0o755); // the unwritable-directory case runs as nobody
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A valid archive of the right shape whose program, if it ever ran, would leave a marker file. */
function impostorArchive(): Buffer {
  const dir = join(root, 'impostor');
  const top = join(dir, `lanyard-${VERSION}-linux-x64`, 'bin');
  mkdirSync(top, { recursive: true });
  writeFileSync(join(top, PROGRAM), `#!/bin/sh\ntouch ${join(root, 'impostor-ran')}\n`, { mode: 0o755 });
  const tar = spawnSync('tar', ['-czf', '-', '-C', dir, '.'], { maxBuffer: 1 << 20 });
  assert.is(tar.status, 0, 'tar the impostor');
  return tar.stdout;
}

// Each site is a release directory as a web server would offer it: file name → bytes.
const flipped = Buffer.from(archive);
flipped[flipped.length >> 1] ^= 0xff;
const sites: Record<string, Record<string, Buffer>> = {
  good: { SHA256SUMS: Buffer.from(sums), [ARCHIVE]: archive },
  truncated: { SHA256SUMS: Buffer.from(sums), [ARCHIVE]: archive.subarray(0, archive.length >> 1) },
  flipped: { SHA256SUMS: Buffer.from(sums), [ARCHIVE]: flipped },
  impostor: { SHA256SUMS: Buffer.from(sums), [ARCHIVE]: impostorArchive() },
  'wrong-sums': {
    SHA256SUMS: Buffer.from(sums.replace(checksums(release).get(ARCHIVE)!, sha256(Buffer.from('other')))),
    [ARCHIVE]: archive,
  },
};
let server: Server;
let base = '';
const requests: string[] = [];

test.before(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const [, site, name] = (req.url ?? '').split('/');
    const body = sites[site ?? '']?.[decodeURIComponent(name ?? '')];
    res.writeHead(body ? 200 : 404, { 'content-length': body ? body.length : 0 }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.after(async () => {
  await new Promise((resolve) => server.close(resolve));
  if (mounted) spawnSync('umount', [readOnly.install]);
  rmSync(root, { recursive: true, force: true });
});

let cases = 0;
/** A fresh install directory (holding an older program when `previous` is given) and a clean TMPDIR. */
function freshDirs(previous?: string) {
  const dir = join(root, `case-${++cases}`);
  const install = join(dir, 'bin');
  const tmp = join(dir, 'tmp');
  mkdirSync(install, { recursive: true });
  mkdirSync(tmp, { mode: 0o1777 });
  chmodSync(tmp, 0o1777);
  if (previous) writeFileSync(join(install, PROGRAM), previous, { mode: 0o755 });
  return { dir, install, tmp };
}

/** A PATH directory with every program of /usr/bin and /bin except `left` out, plus `extra` scripts. */
function pathWithout(left: string[], extra: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(root, 'path-'));
  for (const from of ['/usr/bin', '/bin']) {
    for (const name of readdirSync(from)) {
      if (left.includes(name) || name in extra || existsSync(join(dir, name))) continue;
      symlinkSync(join(from, name), join(dir, name));
    }
  }
  for (const [name, text] of Object.entries(extra)) writeFileSync(join(dir, name), text, { mode: 0o755 });
  return dir;
}

async function install(
  site: string,
  dirs: { install: string; tmp: string },
  options: { path?: string; asNobody?: boolean; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const env = {
    PATH: options.path ?? process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(dirs.tmp, '..'),
    TMPDIR: dirs.tmp,
    LANYARD_INSTALL_BASE_URL: `${base}/${site}`,
    LANYARD_INSTALL_DIR: dirs.install,
    ...options.env,
  };
  const [command, args] = options.asNobody
    ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/bin/sh', SCRIPT]]
    : ['/bin/sh', [SCRIPT]];
  return run(command as string, args as string[], { env, timeoutMs: 120_000 });
}

/** One line on stderr matching `line`, exit 1, nothing on stdout, and the directories as they were. */
function assertRefused(r: RunResult, line: RegExp, dirs: { install: string; tmp: string }, previous?: string) {
  assert.is(r.code, 1, `expected exit 1\n${describe(r)}`);
  assert.is(r.stdout, '', `expected nothing on stdout\n${describe(r)}`);
  assert.ok(/^lanyard install: [^\n]+\n$/.test(r.stderr), `expected one line on stderr\n${describe(r)}`);
  assert.match(r.stderr, line);
  assert.equal(readdirSync(dirs.install), previous ? [PROGRAM] : [], 'the install directory is as it was');
  if (previous) assert.is(readFileSync(join(dirs.install, PROGRAM), 'utf8'), previous, 'the old program is kept');
  assert.equal(readdirSync(dirs.tmp), [], 'nothing is left in TMPDIR');
  assert.not.ok(existsSync(join(root, 'impostor-ran')), 'nothing unverified ran');
}

async function assertInstalls(path?: string) {
  const dirs = freshDirs('#!/bin/sh\necho old\n');
  const r = await install('good', dirs, path ? { path } : {});
  assert.is(r.code, 0, describe(r));
  // The pair: the native front as the helper's name, and lanyard beside it (the release's two bare programs).
  const line = `installed ${PROGRAM} lanyard (lanyard ${VERSION}, linux-x64) in ${dirs.install}`;
  assert.is(r.stdout.split('\n')[0], line);
  const released = checksums(release);
  const front = sha256(readFileSync(join(dirs.install, PROGRAM)));
  assert.is(front, released.get(`${PROGRAM}-front-${VERSION}-linux-x64`), 'the released front');
  const lanyard = sha256(readFileSync(join(dirs.install, 'lanyard')));
  assert.is(lanyard, released.get(`${PROGRAM}-${VERSION}-linux-x64`), 'the released lanyard');
  assert.equal(readdirSync(dirs.install), [PROGRAM, 'lanyard'], 'only the programs, no temporary files');
  assert.equal(readdirSync(dirs.tmp), [], 'nothing is left in TMPDIR');
  const version = spawnSync(join(dirs.install, PROGRAM), ['version'], { encoding: 'utf8' });
  assert.is(version.stdout, `docker-credential-lanyard (lanyard) ${VERSION}\n`);
}

test('installs the release archive that SHA256SUMS names, with curl', async () => {
  await assertInstalls();
});

test('installs with wget when there is no curl', async () => {
  await assertInstalls(pathWithout(['curl']));
});

test('a truncated download is called corrupt, and nothing is installed', async () => {
  const dirs = freshDirs('old');
  assertRefused(
    await install('truncated', dirs),
    /download of lanyard-.* is corrupt.*nothing was installed/,
    dirs,
    'old',
  );
});

test('a damaged byte is caught by the checksum, and nothing is installed', async () => {
  const dirs = freshDirs();
  assertRefused(await install('flipped', dirs), /corrupt .*nothing was installed/, dirs);
});

test('a valid archive with other contents is a checksum mismatch, and never runs', async () => {
  const dirs = freshDirs('old');
  assertRefused(await install('impostor', dirs), /^lanyard install: checksum mismatch for lanyard-/, dirs, 'old');
});

test('a SHA256SUMS that disagrees with the archive is a checksum mismatch', async () => {
  const dirs = freshDirs();
  assertRefused(await install('wrong-sums', dirs), /checksum mismatch .*SHA256SUMS says [0-9a-f]{64}, got/, dirs);
});

test('an architecture the release lacks is named, with what there is', async () => {
  const dirs = freshDirs();
  const path = pathWithout([], { uname: '#!/bin/sh\n[ "$1" = -m ] && echo riscv64 || echo Linux\n' });
  const r = await install('good', dirs, { path });
  assertRefused(r, /no lanyard archive for linux-riscv64 at http:\S+ \(it has: [^)]*linux-x64[^)]*\)/, dirs);
});

test('an unwritable install directory is refused before anything is downloaded', async () => {
  const dirs = freshDirs();
  chmodSync(dirs.install, 0o555);
  const before = requests.length;
  // root may write anywhere: the check is run as nobody, as a user without rights there would be.
  const asNobody = process.getuid?.() === 0;
  const r = await install('good', dirs, { asNobody });
  assertRefused(r, /cannot write to \S+ \(read-only or not yours\): set LANYARD_INSTALL_DIR/, dirs);
  assert.is(requests.length, before, 'nothing downloaded');
});

// A read-only file system refuses even root, whose rights ignore the directory's mode.
const readOnly = freshDirs();
const mounted =
  process.getuid?.() === 0 &&
  spawnSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', readOnly.install]).status === 0;
if (!mounted) console.log('[install-script] skipped the read-only case: mounting a tmpfs needs root');
(mounted ? test : test.skip)('a read-only file system is refused, even for root', async () => {
  assertRefused(await install('good', readOnly), /cannot write to \S+ \(read-only or not yours\)/, readOnly);
});

test('no curl and no wget: says so', async () => {
  const dirs = freshDirs();
  const r = await install('good', dirs, { path: pathWithout(['curl', 'wget']) });
  assertRefused(r, /needs curl or wget/, dirs);
});

test('a wrong address and a missing address are one line each', async () => {
  const dirs = freshDirs();
  assertRefused(
    await install('nowhere', dirs),
    /cannot download http:\S+\/nowhere\/SHA256SUMS: check the address/,
    dirs,
  );
  const r = await install('good', dirs, { env: { LANYARD_INSTALL_BASE_URL: '' } });
  assertRefused(r, /set LANYARD_INSTALL_BASE_URL/, dirs);
});

test.run();
