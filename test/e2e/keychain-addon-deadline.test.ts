// The keyring addon's calls are synchronous native calls: a bus that answers lanyard's own D-Bus reader
// and the session-bus check, but not the addon's own connection, used to block `get` and `store` for as
// long as the bus liked (forever when silent; 24 s when dripping bytes). Every addon call now has a
// deadline that holds whatever the bus does, and the failure says what did not answer, in one line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSandbox, type Sandbox } from './support/sandbox.js';
import { startKeyring, type Keyring } from './support/keyring.js';
import { startTwoFacedBus, type AddonFault, type ConnectionPlan } from './support/two-faced-bus.js';
import { get, store, NOT_FOUND } from './support/helper.js';
import { assertOneLineError, assertSilentOk, assertCreds } from './support/asserts.js';
import { describe, type RunResult, timed } from './support/run.js';

let sb: Sandbox;
let keyring: Keyring;
const SERVER = 'addon-deadline.example.test';
const creds = { ServerURL: SERVER, Username: 'u', Secret: 'addon-deadline-secret' };
// The addon's deadline is this plus twice its own 2 s reply timeout: 5 s.
const BUS_TIMEOUT_MS = 1000;
const DEADLINE = /the Secret Service on the session bus "[^"]+" did not answer within 5 s \(/;
// The deadline, plus starting the binary on a loaded machine; a hang is 24 s to forever.
const WITHIN_MS = 8000;

test.before(async () => {
  sb = createSandbox('addon-deadline');
  keyring = await startKeyring(sb);
  sb.env.LANYARD_KEYCHAIN_TIMEOUT_MS = String(BUS_TIMEOUT_MS);
  sb.env.LANYARD_STORE = 'keychain';
  sb.env.LANYARD_AGENT = '0';
});

test.after(async () => {
  await keyring?.stop();
  sb?.cleanup();
});

function assertDeadlineFailure(r: RunResult, ms: number, what: string): void {
  assertOneLineError(r, what);
  assert.ok(ms < WITHIN_MS, `${what}: took ${ms} ms\n${describe(r)}`);
  assert.match(r.stdout, DEADLINE, `${what}: ${describe(r)}`);
  assert.is.not(r.stdout.trim(), NOT_FOUND);
  assert.not.ok(r.stdout.includes(creds.Secret));
}

test('a login stored in the keychain reads back through the real bus', async () => {
  assertSilentOk(await store(sb.env, creds), 'store');
  assertCreds(await get(sb.env, SERVER), creds, 'get');
});

const faults: AddonFault[] = ['silent', 'after-auth', 'drip'];
for (const fault of faults) {
  test(`get: the reader is refused, the check answers, the addon's connection is ${fault}`, async () => {
    // One get: the reader's connection, the bus check's, then the addon's.
    const plans: ConnectionPlan[] = ['reject-auth', 'pass', fault];
    const bus = await startTwoFacedBus(sb, keyring.address, plans);
    try {
      const env = { ...sb.env, DBUS_SESSION_BUS_ADDRESS: bus.address };
      const { r, ms } = await timed(() => get(env, SERVER));
      assert.ok(bus.connections() >= 3, `the addon connected (${bus.connections()} connections)\n${describe(r)}`);
      assertDeadlineFailure(r, ms, `get with the addon's connection ${fault}`);
    } finally {
      await bus.close();
    }
  });

  test(`store: the check answers, the addon's connection is ${fault}`, async () => {
    const bus = await startTwoFacedBus(sb, keyring.address, ['pass', fault]);
    try {
      const env = { ...sb.env, DBUS_SESSION_BUS_ADDRESS: bus.address };
      const { r, ms } = await timed(() => store(env, { ...creds, ServerURL: `${fault}.example.test` }));
      assertDeadlineFailure(r, ms, `store with the addon's connection ${fault}`);
    } finally {
      await bus.close();
    }
  });
}

test('after the faults, the real bus still answers get and store', async () => {
  assertCreds(await get(sb.env, SERVER), creds, 'get');
  const other = { ...creds, ServerURL: 'after.example.test', Secret: 'after-secret' };
  assertSilentOk(await store(sb.env, other), 'store');
  assertCreds(await get(sb.env, other.ServerURL), other, 'get of the new login');
});

test.run();
