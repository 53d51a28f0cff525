// The macOS keychain's refusals, as @napi-rs/keyring 2.1.2 throws them on a Mac (keyring-core's prefix, then
// Apple's message, or "error code <status>" when Apple has none), each turned into one line naming the fix: never
// the raw text alone, never "credentials not found". The platform is given, so these run on any machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { explainKeychainError } from '../../src/secrets/keychain-store.js';

const mac = { keychainTimeoutMs: 5000, platform: 'darwin' as const };
const linux = { keychainTimeoutMs: 5000, platform: 'linux' as const };
const explain = (message: string, bus: typeof mac | typeof linux = mac) =>
  explainKeychainError(bus, Object.assign(new Error(message), { code: 'GenericFailure' }), 'reading "r/1"', 3).message;

/** Apple's text (SecBase.h) and the status, as the addon would report each. */
const CASES: [name: string, status: number, apple: string, prefix: string, fix: RegExp][] = [
  [
    'errSecInteractionNotAllowed (locked, over SSH)',
    -25308,
    'User interaction is not allowed.',
    'Platform failure: ',
    /login keychain is locked .*run `security unlock-keychain ~\/Library\/Keychains\/login\.keychain-db`/,
  ],
  ['errSecUserCanceled', -128, 'User canceled the operation.', 'Platform failure: ', /prompt was cancelled/],
  [
    'errSecAuthFailed',
    -25293,
    'The user name or passphrase you entered is not correct.',
    'Platform failure: ',
    /refused the password .*security unlock-keychain/,
  ],
  [
    'errSecNoSuchKeychain',
    -25294,
    'The specified keychain could not be found.',
    "Couldn't access platform storage: ",
    /no default keychain.*security default-keychain -s ~\/Library\/Keychains\/login\.keychain-db/,
  ],
  [
    'errSecNotAvailable',
    -25291,
    'No keychain is available. You may need to restart your computer.',
    "Couldn't access platform storage: ",
    /no keychain is available to this process .*LANYARD_STORE=file/,
  ],
  [
    'errSecInvalidKeychain',
    -25295,
    'The specified keychain is not a valid keychain file.',
    "Couldn't access platform storage: ",
    /damaged/,
  ],
  ['errSecReadOnly', -25292, 'This keychain cannot be modified.', "Couldn't access platform storage: ", /read-only/],
];

for (const [name, status, apple, prefix, fix] of CASES) {
  test(`${name}: one line naming the fix, from Apple's text or from the bare status`, () => {
    for (const message of [`${prefix}${apple}`, `${prefix}error code ${status}`]) {
      const line = explain(message);
      assert.match(line, fix, message);
      assert.match(line, /reading "r\/1"/, 'says what was being done');
      assert.not.match(line, /\n|credentials not found|Platform failure|platform storage/, line);
    }
  });
}

test('a status lanyard does not know keeps the text, capped and cleaned, and says what was being done', () => {
  const line = explain('Platform failure: error code -34018');
  assert.is(line, 'keychain error (reading "r/1"): Platform failure: error code -34018');
  assert.not.match(explain(`Platform failure: ${'x'.repeat(5000)}\u001b[31m`), /\u001b/);
});

test('a status number wins over text: a localised message with "error code" is read by its number', () => {
  assert.match(explain('Platform failure: error code -128'), /cancelled/);
  assert.not.match(explain('Platform failure: error code -1'), /unlock-keychain|cancelled/);
});

test('on Linux the same words get no macOS advice', () => {
  assert.not.match(explain('Platform failure: User interaction is not allowed.', linux), /security unlock-keychain/);
  assert.match(explain('Platform failure: Secret Service: object locked', linux), /gnome-keyring-daemon --unlock/);
});

test.run();
