// Nothing left behind: a helper killed with SIGKILL mid-write leaves temp files (holding secrets) and
// secrets that no mapping entry names; the next write removes both, in the file store and in a real
// gnome-keyring, and never a live writer's temp file. A logout during an in-flight token exchange leaves
// no live token in the cache.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import * as iamFixture from '../fixtures/iam.js';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { erase, NOT_FOUND, runHelper, startHelper, store } from './support/helper.js';
import { assertSilentOk } from './support/asserts.js';
import { describe } from './support/run.js';
import { cacheRecord, fileStoreSandbox, forgetCachedToken, getWith, loginIam, sleep } from './support/exchange-env.js';

type Mode = 'file' | 'keychain';
const MODES: Mode[] = ['file', 'keychain'];
const MAX_KILLS = 150; // the window is a few milliseconds wide: under CI's load 60 once missed it
const APIKEY = `leftovers-key-${randomBytes(16).toString('hex')}`;

const boxes = {} as Record<Mode, Sandbox>;
let keyring: Keyring | undefined;
let iam: iamFixture.IamHandle | undefined;
let iamBox: Sandbox;
const envOf = (mode: Mode) => ({ ...boxes[mode].env, LANYARD_STORE: mode });
const rand = () => randomBytes(6).toString('hex');
const login = (server: string) => ({ ServerURL: server, Username: 'u', Secret: `secret-${rand()}` });

test.before(async () => {
  try {
    for (const mode of MODES) boxes[mode] = createSandbox(`leftovers-${mode}`);
    keyring = await startKeyring(boxes.keychain);
    iamBox = fileStoreSandbox('leftovers-iam');
    iam = await iamFixture.start({ apikeys: [APIKEY] });
  } catch (error) {
    console.error('[leftovers] setup failed:', error);
    throw error;
  }
});

test.after(async () => {
  try {
    await iam?.stop();
  } catch (error) {
    console.error('[leftovers] iam stop:', error);
  }
  try {
    await keyring?.stop();
  } catch (error) {
    console.error('[leftovers] keyring stop:', error);
  }
  for (const sb of [...Object.values(boxes), iamBox]) sb?.cleanup();
});

function mappedRefs(sb: Sandbox): string[] {
  if (!existsSync(sb.mappingFile)) return [];
  const mapping = JSON.parse(readFileSync(sb.mappingFile, 'utf8')) as { entries: Array<{ secretRef: string }> };
  return mapping.entries.map((e) => e.secretRef).sort();
}

/** The ids of every secret the store holds (keychain: items of service lanyard; file: keys of secrets.json). */
async function storedRefs(mode: Mode): Promise<string[]> {
  if (mode === 'keychain') return (await keyring!.items()).map((i) => i.attributes.username ?? '').sort();
  const file = boxes.file.secretsFile;
  if (!existsSync(file)) return [];
  return Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { secrets: object }).secrets).sort();
}

/** Temp files of atomic writes in lanyard's config and data dirs. */
function tempFiles(sb: Sandbox): string[] {
  return [dirname(sb.mappingFile), dirname(sb.secretsFile)]
    .flatMap((dir) => (existsSync(dir) ? readdirSync(dir).map((name) => join(dir, name)) : []))
    .filter((path) => path.endsWith('.tmp'));
}

for (const mode of MODES) {
  test(`[${mode}] the write after a SIGKILL mid-store removes unused secrets and abandoned temp files`, async () => {
    const env = envOf(mode);
    const sb = boxes[mode];
    const servers = ['a.leftovers.test', 'b.leftovers.test'];
    const t0 = Date.now();
    for (const server of servers) assertSilentOk(await store(env, login(server)), 'store');
    const storeMs = (Date.now() - t0) / servers.length;
    // Kill stores that replace a login at random moments until one leaves a secret the mapping does not name.
    let kills = 0;
    let orphaned: string[] = [];
    while (orphaned.length === 0 && kills < MAX_KILLS) {
      const stdin = JSON.stringify(login(servers[kills % 2]!));
      const { child, done } = startHelper(['store'], { env, stdin, timeoutMs: 20_000 });
      await sleep(storeMs * (0.3 + Math.random() * 0.9));
      child.kill('SIGKILL');
      await done;
      kills++;
      const mapped = mappedRefs(sb);
      orphaned = (await storedRefs(mode)).filter((ref) => !mapped.includes(ref));
    }
    assert.ok(orphaned.length > 0, `no SIGKILL in ${kills} left an unused secret: the test proved nothing`);

    assertSilentOk(await store(env, login('c.leftovers.test')), 'next store');
    assert.equal(await storedRefs(mode), mappedRefs(sb), `after ${kills} kills: only mapped secrets`);
    assert.equal(tempFiles(sb), [], 'no temp file is left once the next writes ran');
    console.log(`  [${mode}] ${orphaned.length} unused secret(s) after ${kills} kill(s), removed by the next store`);
  });
}

test("[file] the next write removes temp files of dead or long-gone writers, never a live writer's", async () => {
  const env = envOf('file');
  const sb = boxes.file;
  assertSilentOk(await store(env, login('temp.leftovers.test')), 'store');
  const deadPid = Number(execFileSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).trim());
  const plant = (file: string, pid: number) => {
    const path = join(dirname(file), `.${file.split('/').pop()}.${pid}.${rand()}.tmp`);
    writeFileSync(path, '{"secrets":{"x":"a secret being written"}}', { mode: 0o600 });
    return path;
  };
  const dead = [plant(sb.secretsFile, deadPid), plant(sb.mappingFile, deadPid)];
  const live = plant(sb.mappingFile, process.pid); // this test process: alive, as if mid-write
  const reused = plant(sb.mappingFile, process.pid); // a live PID, but written two hours ago: not that process's
  const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
  utimesSync(reused, twoHoursAgo, twoHoursAgo);

  assertSilentOk(await store(env, login('temp.leftovers.test')), 'next store');
  for (const path of [...dead, reused]) assert.not.ok(existsSync(path), `${path} was left behind`);
  assert.ok(existsSync(live), "a live writer's fresh temp file was removed");
});

test('logout during an in-flight token exchange leaves no live token in the cache', async () => {
  const env = iamBox.env;
  const server = 'inflight.icr.io';
  await loginIam(env, server, APIKEY, iam!.url);
  forgetCachedToken(iamBox, server); // the check's token gone (as after a reboot): the get must exchange
  iam!.faults.latencyMs = 1500;
  try {
    const { total, issued } = iam!.counts;
    const pending = getWith(env, server);
    const deadline = Date.now() + 5000;
    while (iam!.counts.total === total && Date.now() < deadline) await sleep(20); // until the request reached IAM
    assert.is(iam!.counts.issued, issued, 'the erase runs while the exchange is in flight');
    const e = await erase(env, server);
    assertSilentOk(e, 'erase during the exchange');
    const g = await pending;
    assert.is(g.code, 0, `the get that was exchanging still answers\n${describe(g)}`);
    assert.is(iam!.counts.issued, issued + 1, 'the exchange completed');
    const record = cacheRecord(iamBox, server);
    assert.not.ok(record?.token, `a live token (expiring ${record?.token?.expiresAt}) stayed cached after logout`);
  } finally {
    iam!.faults.latencyMs = 0;
  }
});

test('[env store] a get queued behind an in-flight exchange does not exchange again after the logout', async () => {
  // The secret stays in the environment after a logout, so only the mapping can tell the queued get it is gone.
  const env = { ...iamBox.env, LEFTOVERS_KEY: APIKEY };
  const server = 'queued.icr.io';
  const loginArgs = ['login', server, '-u', 'iamapikey', '--iam-endpoint', iam!.url, '--secret-env', 'LEFTOVERS_KEY'];
  const r = await runHelper(loginArgs, { env });
  assert.is(r.code, 0, describe(r));
  iam!.faults.latencyMs = 1500;
  try {
    // Several gets queue behind the exchange and race the erase for the entry's lock: each one that
    // takes it after the erase must not exchange again. Two rounds make missing that all but impossible.
    for (let round = 0; round < 2; round++) {
      if (round > 0) assert.is((await runHelper(loginArgs, { env })).code, 0, 'login again');
      const { total, issued } = iam!.counts;
      const first = getWith(env, server);
      const deadline = Date.now() + 5000;
      while (iam!.counts.total === total && Date.now() < deadline) await sleep(20); // the first get is exchanging
      const queued = Array.from({ length: 6 }, () => getWith(env, server)); // they wait for the entry's lock
      await sleep(300);
      assertSilentOk(await erase(env, server), 'erase while one get exchanges and others wait');
      const [a, ...rest] = await Promise.all([first, ...queued]);
      assert.is(a.code, 0, `the exchanging get answers\n${describe(a)}`);
      for (const b of rest) assert.ok(b.code === 0 || b.stdout.trim() === NOT_FOUND, `a queued get\n${describe(b)}`);
      assert.is(iam!.counts.issued, issued + 1, `round ${round}: no second exchange for a login that is gone`);
      assert.not.ok(cacheRecord(iamBox, server)?.token, 'no live token cached after logout');
    }
  } finally {
    iam!.faults.latencyMs = 0;
  }
});

test.run();
