// Debris at a lock path never stalls a pull: before, a dangling symlink at an entry's token-cache
// lock made every exchanging `get` wait its full 30 s and fail, forever.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as iamFixture from '../fixtures/iam.js';
import { fileStoreSandbox, getWith, loginIam, parseCreds, tokensDir } from './support/exchange-env.js';

const sb = fileStoreSandbox('lock-debris');
const SERVER = 'debris.example.test';
const APIKEY = `debris-key-${randomBytes(12).toString('hex')}`;
let iam: iamFixture.IamHandle | undefined;

test.before(async () => {
  iam = await iamFixture.start({ apikeys: [APIKEY] });
  await loginIam(sb.env, SERVER, APIKEY, iam.url);
});

test.after(async () => {
  await iam?.stop();
  sb.cleanup();
});

test('a dangling symlink at the token-cache lock is cleared at once; the get answers', async () => {
  mkdirSync(tokensDir(sb), { recursive: true, mode: 0o700 });
  const lock = join(tokensDir(sb), `${createHash('sha256').update(SERVER).digest('hex').slice(0, 32)}.json.lock`);
  const target = join(sb.root, 'nowhere');
  symlinkSync(target, lock);
  assert.ok(lstatSync(lock).isSymbolicLink());
  const started = Date.now();
  const answer = parseCreds(await getWith(sb.env, SERVER, 40_000), 'get');
  assert.ok(Date.now() - started < 10_000, `took ${Date.now() - started} ms`);
  assert.ok(iam!.validateToken(answer.Secret).ok);
  assert.not.ok(existsSync(lock), 'the debris is gone, the lock released');
  assert.not.ok(existsSync(target), 'nothing was created through the link');
});

test.run();
