// On Linux a keychain `get` reads the secret over our own D-Bus client, against the real gnome-keyring,
// without loading the keyring addon; whatever that client does not settle (a locked item, a refused
// authentication) takes the addon's path and its messages; a bus that hangs fails in time, naming the stage.
// LANYARD_TRACE=1 lines, written by the code paths themselves, show which path answered.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { startWedgedBus } from './support/wedged-bus.js';
import { get, store, NOT_FOUND, type Creds } from './support/helper.js';
import { assertCreds, assertNoLeak, assertOneLineError, assertSilentOk } from './support/asserts.js';
import { describe, type RunResult } from './support/run.js';

let sb: Sandbox;
let keyring: Keyring;
const BUS_TIMEOUT_MS = 1000;
const WITHIN_MS = 8000; // generous: the bound under test is about 1 s; a hang is forever

const READ_BY_READER = 'store read (keychain, D-Bus)';
const ADDON_LOADED = 'keychain addon loaded';
const LEFT_TO_ADDON = 'D-Bus reader leaves this read to the addon';

const logins: Creds[] = [
  { ServerURL: 'ascii.example.test', Username: 'u', Secret: 'plain-ascii-secret-1' },
  { ServerURL: 'unicode.example.test', Username: 'ü', Secret: 'pässwörd ключ 密码 🔑 "quoted" \\ tab\t' },
  { ServerURL: 'big.example.test', Username: 'big', Secret: 'x7'.repeat(2048) },
];

test.before(async () => {
  sb = createSandbox('keychain-dbus');
  sb.env.LANYARD_STORE = 'keychain';
  sb.env.LANYARD_KEYCHAIN_TIMEOUT_MS = String(BUS_TIMEOUT_MS);
  keyring = await startKeyring(sb);
  for (const login of logins) assertSilentOk(await store(sb.env, login), `store ${login.ServerURL}`);
});

test.after(async () => {
  await keyring?.stop();
  sb?.cleanup();
});

const tracedGet = (server: string, env: NodeJS.ProcessEnv = sb.env) => get({ ...env, LANYARD_TRACE: '1' }, server);

async function timed(action: () => Promise<RunResult>): Promise<{ r: RunResult; ms: number }> {
  const started = Date.now();
  const r = await action();
  return { r, ms: Date.now() - started };
}

test('the items `store` wrote through the addon carry the attributes the reader searches for', async () => {
  // SearchItems matches items that have these attributes, whatever else they have (gnome-keyring may add
  // xdg:schema).
  const items = await keyring.items();
  assert.is(items.length, logins.length);
  for (const login of logins) {
    const item = items.find((i) => i.attributes.username?.startsWith(`${login.ServerURL}/`));
    assert.is(item?.attributes.service, 'lanyard', login.ServerURL);
  }
});

test('get reads each stored login (ASCII, non-ASCII, 4 KiB) over D-Bus, never loading the addon', async () => {
  for (const login of logins) {
    const r = await tracedGet(login.ServerURL);
    assertCreds(r, login, `get ${login.ServerURL}`);
    assert.ok(r.stderr.includes(READ_BY_READER), `answered by the reader\n${describe(r)}`);
    assert.not.ok(r.stderr.includes(ADDON_LOADED), `the addon was not loaded\n${describe(r)}`);
    assert.not.ok(r.stderr.includes('session bus check'), 'no separate bus check');
    assert.not.ok(r.stderr.includes(login.Secret), 'the secret is not traced');
  }
});

test('a login whose keychain item is gone: the reader says absent, get says so (not "not found")', async () => {
  const login = logins[0]!;
  const [item] = (await keyring.items()).filter((i) => i.attributes.username?.startsWith(login.ServerURL));
  assert.ok(item, 'the item exists');
  await keyring.deleteItem(item.path);
  const r = await tracedGet(login.ServerURL);
  assertOneLineError(r, 'get of a login whose secret is gone');
  assert.match(r.stdout, /secret is missing from the OS keychain/);
  assert.ok(r.stderr.includes(`${READ_BY_READER}: absent`), describe(r));
  assert.not.ok(r.stderr.includes(ADDON_LOADED), describe(r));
  assertSilentOk(await store(sb.env, login), 'log in again');
  assertCreds(await get(sb.env, login.ServerURL), login, 'get after logging in again');
});

test('a bus that refuses authentication leaves the read to the addon: one line, not "not found"', async () => {
  const bus = await startWedgedBus(sb, 'rejected');
  try {
    const { r, ms } = await timed(() =>
      tracedGet(logins[1]!.ServerURL, { ...sb.env, DBUS_SESSION_BUS_ADDRESS: bus.address }),
    );
    assertOneLineError(r, 'get over a bus that rejects AUTH');
    assert.ok(ms < WITHIN_MS, `took ${ms} ms`);
    assert.is.not(r.stdout.trim(), NOT_FOUND);
    assert.ok(r.stderr.includes(`${LEFT_TO_ADDON}: AUTH answered REJECTED`), describe(r));
    assertNoLeak(r, logins[1]!.Secret, 'rejected bus');
  } finally {
    await bus.close();
  }
});

for (const [fault, stage] of [
  ['silent', 'authentication'],
  ['after-auth', 'Hello'],
] as const) {
  test(`a ${fault} bus: the reader's own deadline fails get in about 1 s, naming ${stage}`, async () => {
    const bus = await startWedgedBus(sb, fault);
    try {
      const env = { ...sb.env, DBUS_SESSION_BUS_ADDRESS: bus.address };
      const { r, ms } = await timed(() => tracedGet(logins[1]!.ServerURL, env));
      assertOneLineError(r, `get over a ${fault} bus`);
      assert.match(r.stdout, new RegExp(`did not answer within 1 s \\(at ${stage}, while reading `));
      // One deadline, not the reader's and then the bus check's.
      assert.ok(ms < 1900, `took ${ms} ms\n${describe(r)}`);
      assert.not.ok(r.stderr.includes('session bus check'), describe(r));
    } finally {
      await bus.close();
    }
  });
}

// Last: nothing unlocks the collection again.
test('a locked item is left to the addon, which says the keychain is locked', async () => {
  await keyring.lock();
  const r = await tracedGet(logins[1]!.ServerURL);
  assertOneLineError(r, 'get from a locked keychain');
  assert.match(r.stdout, /locked/);
  assert.ok(r.stderr.includes(`${LEFT_TO_ADDON}: 0 unlocked and 1 locked items`), describe(r));
  assert.ok(r.stderr.includes(ADDON_LOADED), describe(r));
  assertNoLeak(r, logins[1]!.Secret, 'locked');
});

test.run();
