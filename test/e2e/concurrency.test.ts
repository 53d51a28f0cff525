// Many helper processes at once (as parallel pulls/pushes and scripted logins produce), and helper
// processes killed with SIGKILL mid-write: the mapping must stay valid JSON, committed logins must stay
// readable, and every answer must be a consistent (username, secret) pair. File store and keychain.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { runHelper, store, get, erase, startHelper, listParsed, NOT_FOUND, type Creds } from './support/helper.js';
import { assertSilentOk, assertCreds } from './support/asserts.js';
import { describe, type RunResult } from './support/run.js';

type Mode = 'file' | 'keychain';
const MODES: Mode[] = ['file', 'keychain'];
const BURST_TIMEOUT_MS = 60_000;

const boxes = {} as Record<Mode, Sandbox>;
let keyring: Keyring | undefined;
const envOf = (mode: Mode) => ({ ...boxes[mode].env, LANYARD_STORE: mode });
const rand = () => randomBytes(6).toString('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// 75 processes at once on a small machine: allow more than the usual 10 s each
const helper = (verb: string, env: NodeJS.ProcessEnv, stdin: string) =>
  runHelper([verb], { env, stdin, timeoutMs: BURST_TIMEOUT_MS });

test.before(async () => {
  try {
    for (const mode of MODES) boxes[mode] = createSandbox(`concurrency-${mode}`);
    keyring = await startKeyring(boxes.keychain);
  } catch (err) {
    console.error('[concurrency] setup failed:', err);
    throw err;
  }
});

test.after(async () => {
  try {
    await keyring?.stop();
  } catch (err) {
    console.error('[concurrency] keyring stop:', err);
  }
  for (const sb of Object.values(boxes)) sb.cleanup();
});

function assertMappingParses(mode: Mode, what: string): void {
  const file = boxes[mode].mappingFile;
  if (!existsSync(file)) return;
  const text = readFileSync(file, 'utf8');
  try {
    JSON.parse(text);
  } catch {
    assert.unreachable(`${what}: mapping.json is not valid JSON:\n${text.slice(0, 2000)}`);
  }
}

/** `get` answered one of `candidates`, as a consistent pair (never one writer's user with another's secret). */
function assertOneOf(r: RunResult, server: string, candidates: Creds[], what: string): Creds {
  assert.is(r.code, 0, `${what}: get failed\n${describe(r)}`);
  const got = JSON.parse(r.stdout) as Creds;
  const match = candidates.find((c) => c.Username === got.Username && c.Secret === got.Secret);
  assert.ok(match, `${what}: ${JSON.stringify(got)} is none of the values written for ${server}`);
  assert.is(got.ServerURL, server, `${what}: ServerURL`);
  return match!;
}

/** What the burst wrote, per server: every candidate value (any may win for contended servers). */
const burst = {} as Record<Mode, { written: Map<string, Creds[]>; erased: string[]; keep: Creds }>;

for (const mode of MODES) {
  test(`[${mode}] 50 parallel stores (same and different servers) with parallel erases and gets`, async () => {
    const env = envOf(mode);
    const keep: Creds = { ServerURL: 'keep.conc.test', Username: 'keeper', Secret: `keep-${rand()}` };
    assertSilentOk(await store(env, keep), 'store keep');
    const erased = Array.from({ length: 10 }, (_, i) => `erase-${i}.conc.test`);
    await Promise.all(
      erased.map(async (s) =>
        assertSilentOk(await store(env, { ServerURL: s, Username: 'gone', Secret: `gone-${rand()}` }), `store ${s}`),
      ),
    );

    // 30 servers once each, then 20 more writes spread over srv-0..srv-4: 50 stores
    const written = new Map<string, Creds[]>();
    const stores: Creds[] = [];
    for (let i = 0; i < 50; i++) {
      const server = `srv-${i < 30 ? i : i % 5}.conc.test`;
      const user = `user-${i}`;
      const c = { ServerURL: server, Username: user, Secret: `secret-of-${user}-${rand()}` };
      stores.push(c);
      written.set(server, [...(written.get(server) ?? []), c]);
    }
    type Op = () => Promise<[string, RunResult]>;
    const ops: Op[] = [
      ...stores.map(
        (c): Op =>
          async () => [`store ${c.ServerURL} ${c.Username}`, await helper('store', env, JSON.stringify(c))],
      ),
      ...erased.map(
        (s): Op =>
          async () => [`erase ${s}`, await helper('erase', env, s)],
      ),
      ...Array.from({ length: 15 }, (): Op => async () => ['get keep', await helper('get', env, keep.ServerURL)]),
    ];
    ops.sort(() => Math.random() - 0.5);
    const results = await Promise.all(ops.map((op) => op()));

    for (const [what, r] of results) {
      assert.ok(!r.timedOut, `${what}: timed out\n${describe(r)}`);
      if (what === 'get keep') assertCreds(r, keep, 'concurrent get of an untouched entry');
      else assertSilentOk(r, what);
    }
    assertMappingParses(mode, 'after the burst');

    const listed = await listParsed(env);
    const expected = [keep.ServerURL, ...written.keys()].sort();
    assert.equal(
      Object.keys(listed).sort(),
      expected,
      'list holds exactly the stored servers, none of the erased ones',
    );
    assertCreds(await get(env, keep.ServerURL), keep, 'untouched entry');
    for (const [server, candidates] of written) {
      const got = assertOneOf(await get(env, server), server, candidates, `get ${server}`);
      assert.is(listed[server], got.Username, `list and get disagree for ${server}`);
    }
    for (const s of erased) {
      const r = await get(env, s);
      assert.is(r.stdout.trim(), NOT_FOUND, `${s} was erased\n${describe(r)}`);
    }
    burst[mode] = { written, erased, keep };
  });

  test(`[${mode}] after the burst no overwritten or erased secret is left in the store`, async () => {
    const b = burst[mode];
    assert.ok(b, 'needs the burst test');
    const env = envOf(mode);
    const current = new Map<string, Creds>();
    for (const server of b.written.keys()) current.set(server, JSON.parse((await get(env, server)).stdout) as Creds);
    const stale = [...b.written.values()].flat().filter((c) => current.get(c.ServerURL)?.Secret !== c.Secret);
    if (mode === 'file') {
      const text = readFileSync(boxes.file.secretsFile, 'utf8');
      const left = stale.filter((c) => text.includes(c.Secret));
      assert.equal(
        left.map((c) => `${c.ServerURL} ${c.Username}`),
        [],
        'overwritten secrets still in secrets.json',
      );
    } else {
      const items = await keyring!.items();
      const perServer = (s: string) => items.filter((i) => i.attributes.username?.startsWith(`${s}/`)).length;
      for (const s of b.erased) assert.is(perServer(s), 0, `keychain items left for erased ${s}`);
      for (const s of b.written.keys()) assert.is(perServer(s), 1, `keychain items for ${s}`);
    }
  });

  test(`[${mode}] SIGKILL during store, 20 times: earlier logins stay readable, the mapping stays valid`, async () => {
    const env = envOf(mode);
    // how long a store takes here, to kill at random moments inside it
    const t0 = Date.now();
    const committed = new Map<string, Creds>();
    for (let i = 0; i < 3; i++) {
      const c = { ServerURL: `base-${i}.kill.test`, Username: `base-${i}`, Secret: `base-${rand()}` };
      assertSilentOk(await store(env, c), 'store base');
      committed.set(c.ServerURL, c);
    }
    const storeMs = (Date.now() - t0) / 3;
    let killedMidway = 0;
    let keyringRestarts = 0;

    for (let i = 0; i < 20; i++) {
      // alternate: a new server, or overwriting one that exists
      const server = i % 2 === 0 ? `new-${i}.kill.test` : [...committed.keys()][i % committed.size]!;
      const next: Creds = { ServerURL: server, Username: `kill-${i}`, Secret: `kill-${i}-${rand()}` };
      const previous = committed.get(server);
      const { child, done } = startHelper(['store'], { env, stdin: JSON.stringify(next), timeoutMs: 20_000 });
      await sleep(Math.random() * storeMs * 1.2);
      child.kill('SIGKILL');
      const r = await done;
      if (r.signal === 'SIGKILL') killedMidway++;
      else assertSilentOk(r, `store ${i} (finished before the kill)`);
      // The kill is ours, and so is gnome-keyring's rare abort under it (an upstream race); what is tested is
      // what lanyard left behind, so the keyring comes back (unlocked, items from disk) before anything is read.
      if (mode === 'keychain' && (await keyring!.restartIfDied())) keyringRestarts++;

      assertMappingParses(mode, `after kill ${i}`);
      const g = await get(env, server);
      if (g.code === 0) {
        committed.set(server, assertOneOf(g, server, previous ? [previous, next] : [next], `kill ${i}: target`));
      } else {
        assert.is(g.stdout.trim(), NOT_FOUND, `kill ${i}: target is neither old, new nor absent\n${describe(g)}`);
        assert.is(previous, undefined, `kill ${i}: an existing login vanished (${server})`);
      }
      // every other committed login still answers, exactly
      const others = [...committed.values()].filter((c) => c.ServerURL !== server);
      const sample = others.sort(() => Math.random() - 0.5).slice(0, 4);
      for (const c of sample) assertCreds(await get(env, c.ServerURL), c, `kill ${i}: ${c.ServerURL}`);
      const listed = await listParsed(env);
      for (const c of committed.values())
        assert.is(listed[c.ServerURL], c.Username, `kill ${i}: list entry for ${c.ServerURL}`);
    }

    // everything still readable, and no lock left behind blocks the next writer
    for (const c of committed.values()) assertCreds(await get(env, c.ServerURL), c, `final ${c.ServerURL}`);
    const after: Creds = { ServerURL: 'after.kill.test', Username: 'after', Secret: `after-${rand()}` };
    const s = await store(env, after);
    assertSilentOk(s, 'store after the kills (a stale lock must not block it)');
    assertCreds(await get(env, after.ServerURL), after, 'get after the kills');
    assertSilentOk(await erase(env, 'base-0.kill.test'), 'erase after the kills');
    const restarts = mode === 'keychain' ? `, gnome-keyring restarted ${keyringRestarts} time(s)` : '';
    console.log(
      `  [${mode}] kill -9: ${killedMidway}/20 stores killed mid-run (store takes ~${Math.round(storeMs)} ms)` +
        restarts,
    );
  });
}

test.run();
