// The release's amd64 .deb, installed and removed with apt-get as a user would: the program lands in
// /usr/bin and runs (version; a store/get/erase round trip on the file store), its bash completion
// completes commands through the program, its man page is there, and `apt-get remove` leaves none of
// its files behind. Needs root (CI is root) and a Debian-family system; skipped otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { createSandbox } from './support/sandbox.js';
import { releaseDir, VERSION } from './support/release.js';
import { describe, run } from './support/run.js';

const PROGRAM = 'docker-credential-lanyard';
const installed = `/usr/bin/${PROGRAM}`;
const apt = (args: string[]) =>
  spawnSync('apt-get', ['-o', 'DPkg::Lock::Timeout=300', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    timeout: 600_000,
  });
const packageState = () => spawnSync('dpkg-query', ['-W', `-f=\${Status}`, 'lanyard'], { encoding: 'utf8' }).stdout;

const problem =
  process.getuid?.() !== 0
    ? 'installing a .deb needs root'
    : spawnSync('apt-get', ['--version']).status !== 0
      ? 'no apt-get here'
      : packageState().includes('installed')
        ? 'a lanyard package is installed already; the test would remove it'
        : undefined;
if (problem) console.log(`[package-deb] skipped: ${problem}`);
const maybe = problem ? test.skip : test;
const deb = problem ? '' : join(releaseDir(), `lanyard_${VERSION}_amd64.deb`);
let files: string[] = [];

test.after(() => {
  if (!problem && packageState().includes('installed')) apt(['remove', '-y', 'lanyard']); // a failed test's leftovers
});

maybe('apt-get installs the .deb: the program in /usr/bin, completions, man page, copyright', () => {
  assert.ok(existsSync(deb), `${deb} exists`);
  const r = apt(['install', '-y', deb]);
  assert.is(r.status, 0, `apt-get install ${deb}:\n${r.stdout}${r.stderr}`);
  files = spawnSync('dpkg', ['-L', 'lanyard'], { encoding: 'utf8' }).stdout.trim().split('\n');
  for (const path of [
    installed,
    `/usr/share/bash-completion/completions/${PROGRAM}`,
    `/usr/share/zsh/vendor-completions/_${PROGRAM}`,
    `/usr/share/fish/vendor_completions.d/${PROGRAM}.fish`,
    `/usr/share/man/man1/${PROGRAM}.1.gz`,
    '/usr/share/doc/lanyard/copyright',
  ]) {
    assert.ok(files.includes(path), `dpkg -L lists ${path}`);
    assert.ok(existsSync(path), `${path} is installed`);
  }
  const man = gunzipSync(readFileSync(`/usr/share/man/man1/${PROGRAM}.1.gz`)).toString('utf8');
  assert.match(man, new RegExp(`^\\.TH DOCKER-CREDENTIAL-LANYARD 1 "[0-9-]+" "lanyard ${VERSION}"`));
  assert.match(man, /^\.SS "login"$/m, 'the man page has the login command from --help');
});

maybe('the installed program runs: version, and a store/get/erase round trip on the file store', async () => {
  const sb = createSandbox('deb');
  try {
    const env = { ...sb.env, PATH: '/usr/bin:/bin', LANYARD_STORE: 'file' };
    const call = (verb: string, stdin: string) => run(installed, [verb], { env, stdin });
    let r = await call('version', '');
    assert.is(r.stdout, `${PROGRAM} (lanyard) ${VERSION}\n`, describe(r));
    const creds = { ServerURL: 'https://registry.deb.test', Username: 'deb', Secret: 'deb-secret' };
    r = await call('store', JSON.stringify(creds));
    assert.is(r.code, 0, describe(r));
    r = await call('get', creds.ServerURL);
    assert.equal(JSON.parse(r.stdout), { ServerURL: creds.ServerURL, Username: 'deb', Secret: 'deb-secret' });
    r = await call('erase', creds.ServerURL);
    assert.is(r.code, 0, describe(r));
    r = await call('get', creds.ServerURL);
    assert.is(r.stdout, 'credentials not found in native keychain\n', describe(r));
  } finally {
    sb.cleanup();
  }
});

maybe('the bash completion asks the installed program for the commands', () => {
  const script =
    `source /usr/share/bash-completion/completions/${PROGRAM}; COMP_WORDS=(${PROGRAM} lo); COMP_CWORD=1; ` +
    `_${PROGRAM}_yargs_completions; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['-c', script], {
    encoding: 'utf8',
    env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' },
  });
  assert.equal(r.stdout.trim().split('\n').sort(), ['login', 'logout'], r.stderr);
});

const noFish = spawnSync('fish', ['--version']).status !== 0;
(noFish ? test.skip : maybe)('the fish completion asks the installed program, with descriptions', () => {
  const complete = (line: string) =>
    spawnSync('fish', ['-c', `complete -C '${line}'`], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }).stdout;
  assert.is(
    complete(`${PROGRAM} lo`),
    'login\tstore a login for a registry or host pattern\nlogout\tremove the login for a registry or host pattern\n',
  );
  assert.match(complete(`${PROGRAM} login --us`), /^--username\tusername/);
});

maybe('apt-get remove leaves none of its files', () => {
  const r = apt(['remove', '-y', 'lanyard']);
  assert.is(r.status, 0, `apt-get remove lanyard:\n${r.stdout}${r.stderr}`);
  assert.not.ok(existsSync(installed), `${installed} is gone`);
  assert.not.ok(
    readdirSync('/usr/bin').some((name) => name.includes('lanyard')),
    'nothing named lanyard in /usr/bin',
  );
  const left = files.filter((path) => path.includes('lanyard') && existsSync(path));
  assert.equal(left, [], 'no file of the package is left');
});

test.run();
