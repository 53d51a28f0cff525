// Every keychain wait is bounded and says what hung: a session bus that accepts and never
// answers, one that goes silent after authenticating, a frozen Secret Service, a bus that
// drops the connection. None of them is "the keychain is locked" or "not found", and a
// `store` stuck on one releases the mapping lock in bounded time for other writers.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readFileSync } from 'node:fs';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { startWedgedBus, type BusFault } from './support/wedged-bus.js';
import { get, store, startHelper, NOT_FOUND } from './support/helper.js';
import { assertOneLineError, assertSilentOk, assertCreds } from './support/asserts.js';
import { describe, type RunResult, timed } from './support/run.js';

let sb: Sandbox;
let keyring: Keyring;
const SERVER = 'hang.example.test';
const creds = { ServerURL: SERVER, Username: 'u', Secret: 'hang-secret-1' };
const BUS_TIMEOUT_MS = 1000;
// Generous: the bound under test is about 1 s (bus) or 2 s (Secret Service); a hang is forever.
const WITHIN_MS = 8000;

test.before(async () => {
  sb = createSandbox('keychain-hang');
  keyring = await startKeyring(sb);
  sb.env.LANYARD_KEYCHAIN_TIMEOUT_MS = String(BUS_TIMEOUT_MS);
});

test.after(async () => {
  try {
    process.kill(keyring.daemonPid, 'SIGCONT');
  } catch {
    /* gone */
  }
  await keyring?.stop();
  sb?.cleanup();
});

function assertNamedFailure(r: RunResult, ms: number, what: string, expected: RegExp): void {
  assertOneLineError(r, what);
  assert.ok(ms < WITHIN_MS, `${what}: took ${ms} ms\n${describe(r)}`);
  assert.match(r.stdout, expected, `${what}: ${describe(r)}`);
  assert.not.match(r.stdout, /locked/i, `${what}: not a locked keychain`);
  assert.is.not(r.stdout.trim(), NOT_FOUND);
  assert.not.ok(r.stdout.includes(creds.Secret));
}

test('a login stored in the keychain reads back while the bus answers', async () => {
  assertSilentOk(await store(sb.env, creds), 'store');
  assertCreds(await get(sb.env, SERVER), creds, 'get');
});

const hungBuses: [BusFault, RegExp][] = [
  ['silent', /session bus "unix:path=[^"]+silent\.sock" did not answer within 1 s \(at authentication, while reading/],
  ['after-auth', /session bus "unix:path=[^"]+after-auth\.sock" did not answer within 1 s \(at Hello, while reading/],
];
for (const [fault, expected] of hungBuses) {
  test(`session bus that is ${fault}: get fails within the deadline and names the bus`, async () => {
    const bus = await startWedgedBus(sb, fault);
    try {
      const { r, ms } = await timed(() => get({ ...sb.env, DBUS_SESSION_BUS_ADDRESS: bus.address }, SERVER));
      assertNamedFailure(r, ms, `get over a ${fault} bus`, expected);
    } finally {
      await bus.close();
    }
  });
}

test('a real keyring on an abstract-socket bus works: the check, which cannot reach it, steps aside', async () => {
  // Neither Bun's sockets nor its node:net reach abstract sockets; libdbus does. Refusing such a bus
  // as unreachable would lock out every desktop whose session bus is abstract.
  const box = createSandbox('keychain-abstract');
  const abstractKeyring = await startKeyring(box, { abstract: true });
  try {
    assert.match(box.env.DBUS_SESSION_BUS_ADDRESS!, /^unix:abstract=/);
    const env = { ...box.env, LANYARD_STORE: 'keychain' };
    assertSilentOk(await store(env, creds), 'store over an abstract bus');
    assertCreds(await get(env, SERVER), creds, 'get over an abstract bus');
  } finally {
    await abstractKeyring.stop();
    box.cleanup();
  }
});

test('a bus that drops the connection is "no Secret Service", saying what was seen', async () => {
  const bus = await startWedgedBus(sb, 'drop');
  try {
    const { r, ms } = await timed(() => get({ ...sb.env, DBUS_SESSION_BUS_ADDRESS: bus.address }, SERVER));
    const expected = /no Secret Service is reachable \(the session bus "[^"]+": connection (reset|closed)/;
    assertNamedFailure(r, ms, 'get over a dropping bus', expected);
  } finally {
    await bus.close();
  }
});

test('store over a silent bus fails in time, changes nothing, and lets a file-store store through', async () => {
  const bus = await startWedgedBus(sb, 'silent');
  const mappingBefore = readFileSync(sb.mappingFile, 'utf8');
  try {
    const started = Date.now();
    const hung = startHelper(['store'], {
      env: { ...sb.env, DBUS_SESSION_BUS_ADDRESS: bus.address },
      stdin: JSON.stringify({ ...creds, Secret: 'hang-secret-2' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // it now holds the mapping lock
    const other = { ServerURL: 'other.example.test', Username: 'o', Secret: 'other-secret' };
    const fileEnv = { ...sb.env, LANYARD_STORE: 'file' };
    const concurrent = await store(fileEnv, other);
    const r = await hung.done;
    const expected = /did not answer within 1 s \(at authentication, while looking for a Secret Service\)/;
    assertNamedFailure(r, Date.now() - started, 'store over a silent bus', expected);
    assertSilentOk(concurrent, 'concurrent store to the file store');
    assertCreds(await get(fileEnv, other.ServerURL), other, 'the concurrent login');
    const entryIn = (text: string) =>
      (JSON.parse(text) as { entries: { server: string }[] }).entries.find((e) => e.server === SERVER);
    const after = readFileSync(sb.mappingFile, 'utf8');
    assert.equal(entryIn(after), entryIn(mappingBefore), 'the hung store changed nothing');
    assert.not.ok(existsSync(`${sb.mappingFile}.lock`), 'the mapping lock was released');
  } finally {
    await bus.close();
  }
  assertCreds(await get(sb.env, SERVER), creds, 'the keychain login is intact');
});

test('a frozen Secret Service: get and store fail within their deadlines, naming it', async () => {
  process.kill(keyring.daemonPid, 'SIGSTOP');
  try {
    const read = await timed(() => get(sb.env, SERVER));
    // get reads over our own D-Bus client, bounded by LANYARD_KEYCHAIN_TIMEOUT_MS; store goes through the addon (2 s).
    const expected = /the Secret Service on the session bus "[^"]+" did not answer within 1 s \(reading /;
    assertNamedFailure(read.r, read.ms, 'get from a frozen keyring', expected);
    const write = await timed(() => store(sb.env, { ...creds, ServerURL: 'frozen.example.test' }));
    assertNamedFailure(write.r, write.ms, 'store into a frozen keyring', /did not answer within 2 s/);
  } finally {
    process.kill(keyring.daemonPid, 'SIGCONT');
  }
  assertCreds(await get(sb.env, SERVER), creds, 'get after the keyring thaws');
});

test.run();
