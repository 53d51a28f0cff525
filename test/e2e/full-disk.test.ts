// A full disk (a small tmpfs holding the config, data, state and runtime dirs, filled up):
// store, erase and login say "no space left on <dir> …; nothing changed" in one line and
// leave every stored file as it was; an IAM `get` still answers the freshly exchanged
// token, uncached. Needs root for the mount; skipped otherwise.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import { erase, get, login, store } from './support/helper.js';
import { assertCreds, assertOneLineError, assertSilentOk } from './support/asserts.js';
import { describe } from './support/run.js';
import { fileStoreSandbox, getWith, loginIam, parseCreds } from './support/exchange-env.js';

const sb = fileStoreSandbox('full-disk');
const disk = sb.dir('disk');
const mounted =
  process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=512k', 'tmpfs', disk]).status === 0;
const dirs = {
  config: join(disk, 'config'),
  data: join(disk, 'data'),
  state: join(disk, 'state'),
  runtime: join(disk, 'run'),
};
const mappingFile = join(dirs.config, 'lanyard', 'mapping.json');
const secretsFile = join(dirs.data, 'lanyard', 'secrets.json');
const tokensDir = join(dirs.runtime, 'lanyard', 'tokens');
const APIKEY = `full-disk-key-${randomBytes(12).toString('hex')}`;
const creds = { ServerURL: 'static.example.test', Username: 'u', Secret: 'full-disk-secret' };
const NO_SPACE = /^no space left on \/\S+ \(writing [^)]+\); nothing changed$/;
let iam: iamFixture.IamHandle | undefined;
let before: { mapping: string; secrets: string };

test.before(async () => {
  if (!mounted) return;
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  chmodSync(dirs.runtime, 0o700);
  Object.assign(sb.env, {
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_STATE_HOME: dirs.state,
    XDG_RUNTIME_DIR: dirs.runtime,
  });
  iam = await iamFixture.start({ apikeys: [APIKEY] });
  assertSilentOk(await store(sb.env, creds), 'store before the disk fills');
  await loginIam(sb.env, 'iam.example.test', APIKEY, iam.url);
  parseCreds(await getWith(sb.env, 'iam.example.test'), 'get before the disk fills'); // creates the runtime dirs
  for (const name of readdirSync(tokensDir)) rmSync(join(tokensDir, name));
  before = { mapping: readFileSync(mappingFile, 'utf8'), secrets: readFileSync(secretsFile, 'utf8') };
  try {
    writeFileSync(join(disk, 'filler'), Buffer.alloc(1024 * 1024));
  } catch {
    /* ENOSPC: the disk is full now */
  }
});

test.after(async () => {
  await iam?.stop();
  if (mounted) spawnSync('umount', [disk]);
  sb.cleanup();
});

function assertNothingChanged(what: string): void {
  assert.is(readFileSync(mappingFile, 'utf8'), before.mapping, `${what}: mapping unchanged`);
  assert.is(readFileSync(secretsFile, 'utf8'), before.secrets, `${what}: secrets unchanged`);
  for (const dir of [join(dirs.config, 'lanyard'), join(dirs.data, 'lanyard')]) {
    const debris = readdirSync(dir).filter((n) => n.endsWith('.lock') || n.endsWith('.tmp'));
    assert.equal(debris, [], `${what}: no lock or temp file left in ${dir}`);
  }
}

const maybe = mounted ? test : test.skip;

maybe('store on a full disk: one line naming the place, nothing changed', async () => {
  const r = await store(sb.env, { ...creds, ServerURL: 'new.example.test' });
  assertOneLineError(r, 'store');
  assert.match(r.stdout.trim(), NO_SPACE, describe(r));
  assertNothingChanged('store');
});

maybe('erase on a full disk: the same, and the login still answers', async () => {
  const r = await erase(sb.env, creds.ServerURL);
  assertOneLineError(r, 'erase');
  assert.match(r.stdout.trim(), NO_SPACE, describe(r));
  assertNothingChanged('erase');
  assertCreds(await get(sb.env, creds.ServerURL), creds, 'get after the failed erase');
});

maybe('login on a full disk: one line on stderr', async () => {
  const r = await login(sb.env, 'other.example.test', 'u', 'pw');
  assert.is(r.code, 1, describe(r));
  assert.match(r.stderr.trim(), new RegExp(`^docker-credential-lanyard: ${NO_SPACE.source.slice(1)}`), describe(r));
  assertNothingChanged('login');
});

// Before: `internal error: Error: ENOSPC` although a fresh token had been (or could be) exchanged.
maybe('an IAM get on a full disk answers the fresh token, uncached', async () => {
  for (const round of [1, 2]) {
    const issued = iam!.counts.issued;
    const answer = parseCreds(await getWith(sb.env, 'iam.example.test'), `get ${round}`);
    assert.is(answer.Username, 'iambearer');
    assert.ok(iam!.validateToken(answer.Secret).ok, `get ${round}: a valid IAM token`);
    assert.is(iam!.counts.issued, issued + 1, `get ${round}: exchanged afresh (nothing could be cached)`);
  }
  assert.equal(readdirSync(tokensDir), [], 'no cache, lock or temp file left');
});

test.run();
