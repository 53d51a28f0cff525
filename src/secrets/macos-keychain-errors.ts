// What the macOS keychain's refusals mean, each in one line naming the fix. @napi-rs/keyring 2.1.2 reaches the
// login keychain through keyring-core's apple-native-keyring-store 1.0.2 and security-framework 3.7, and throws
// every failure as GenericFailure with keyring-core's text:
//   "Couldn't access platform storage: <Apple's message>"  errSecNotAvailable, errSecReadOnly,
//                                                          errSecNoSuchKeychain, errSecInvalidKeychain
//   "Platform failure: <Apple's message>"                  every other status
// Apple's message is SecCopyErrorMessageString's, localised, or "error code <status>" when it has none; so each case
// is known by its status number and by Apple's English text. errSecItemNotFound is never thrown: the library answers
// null (getPassword) or false (deleteCredential), which the store reports as not found.
import { UserError } from '../errors.js';

const LOGIN_KEYCHAIN = '~/Library/Keychains/login.keychain-db';
const FILE_STORE = 'or use the file store (LANYARD_STORE=file)';

interface MacKeychainCase {
  /** The OSStatus, as security-framework prints it when Apple has no message. */
  status: number;
  /** Apple's English message (SecBase.h), enough of it to recognise. */
  text: RegExp;
  explain: (doing: string) => string;
}

const CASES: MacKeychainCase[] = [
  {
    status: -25308, // errSecInteractionNotAllowed: locked, and no window to ask in (SSH, launchd before login)
    text: /interaction is not allowed/i,
    explain: (doing) =>
      `the macOS login keychain is locked and cannot ask for its password here (${doing}; over SSH or before ` +
      `the desktop login): run \`security unlock-keychain ${LOGIN_KEYCHAIN}\`, then retry, ${FILE_STORE}`,
  },
  {
    status: -128, // errSecUserCanceled
    text: /user cancell?ed/i,
    explain: (doing) =>
      `the keychain's password prompt was cancelled (${doing}): run it again and answer the prompt ` +
      '(Always Allow lets lanyard in without asking again)',
  },
  {
    status: -25293, // errSecAuthFailed
    text: /user name or passphrase you entered is not correct|authorization\/authentication failed/i,
    explain: (doing) =>
      `the keychain refused the password given (${doing}): unlock it with ` +
      `\`security unlock-keychain ${LOGIN_KEYCHAIN}\` and type your login password, then retry`,
  },
  {
    status: -25294, // errSecNoSuchKeychain
    text: /specified keychain could not be found/i,
    explain: (doing) =>
      `macOS has no default keychain (${doing}): make the login keychain the default with ` +
      `\`security default-keychain -s ${LOGIN_KEYCHAIN}\`, ${FILE_STORE}`,
  },
  {
    status: -25295, // errSecInvalidKeychain
    text: /not a valid keychain file/i,
    explain: (doing) =>
      `the default keychain is damaged (${doing}): repair or reset it in Keychain Access, ${FILE_STORE}`,
  },
  {
    status: -25291, // errSecNotAvailable
    text: /no keychain is available/i,
    explain: (doing) =>
      `no keychain is available to this process (${doing}; a launchd job outside the login session, or a ` +
      `sandbox): run lanyard in the user's login session, ${FILE_STORE}`,
  },
  {
    status: -25292, // errSecReadOnly
    text: /keychain cannot be modified/i,
    explain: (doing) =>
      `the default keychain is read-only (${doing}): make it writable in Keychain Access, ${FILE_STORE}`,
  },
];

/** The one-line explanation of a macOS keychain failure lanyard knows, or undefined for any other. */
export function explainMacKeychainError(message: string, doing: string): UserError | undefined {
  const status = /error code (-?\d+)/.exec(message)?.[1];
  const known = CASES.find((c) => (status === undefined ? c.text.test(message) : Number(status) === c.status));
  return known && new UserError(known.explain(doing));
}
