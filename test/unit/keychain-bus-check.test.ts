// The session-bus check before the keyring addon connects: a failure is not remembered for the process, so a
// long-lived daemon whose keyring was away once asks again (before, it kept failing with the first answer).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { createSandbox } from '../e2e/support/sandbox.js';
import { startWedgedBus } from '../e2e/support/wedged-bus.js';

const sb = createSandbox('bus-check');
const busDir = sb.dir('wedged-bus');
// startWedgedBus('silent') listens here, once the test starts it.
const bus = { sessionBusAddress: `unix:path=${join(busDir, 'silent.sock')}`, keychainTimeoutMs: 300 };

test('a bus that was missing and is now silent is checked again, not answered from memory', async () => {
  if (process.platform !== 'linux') return;
  const { keychainStore, NoSecretServiceError } = await import('../../src/secrets/keychain-store.js');
  const store = keychainStore(bus);
  const first = await store.write('bus-check', 'value').then(
    () => undefined,
    (error: unknown) => error,
  );
  assert.instance(first, NoSecretServiceError, 'no socket yet: no Secret Service');
  assert.match((first as Error).message, /no such socket/);
  const wedged = await startWedgedBus(sb, 'silent');
  try {
    const second = await store.write('bus-check', 'value').then(
      () => undefined,
      (error: unknown) => error,
    );
    assert.not.instance(second, NoSecretServiceError, 'the first failure was answered again from memory');
    assert.match((second as Error).message, /did not answer within 0\.3 s/);
  } finally {
    await wedged.close();
  }
});

test.after(() => sb.cleanup());

test.run();
