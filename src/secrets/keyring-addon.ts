// Loading the keyring addon (@napi-rs/keyring). The release binary embeds it, and on Linux and macOS Bun loads
// it from there. On Windows Bun hands the embedded file's virtual path (B:/~BUN/root/keyring.win32-….node) to
// LoadLibrary, which cannot open it (Bun 1.4.4: "LoadLibrary failed: Module not found", on Windows and under
// Wine). Then the embedded bytes are copied once into a private per-user folder (%LOCALAPPDATA%\lanyard\…,
// inside the user's profile, whose ACL admits only the user, SYSTEM and administrators), named by their hash,
// written atomically, compared with the embedded bytes before every load, and loaded from there.
// A failure is told in lanyard's words: the library's own advice (reinstall with npm) means nothing to
// someone who downloaded one exe.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Keyring from '@napi-rs/keyring';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { trace } from '../trace.js';

export type KeyringAddon = typeof Keyring;

interface EmbeddedFile {
  readonly name: string;
  arrayBuffer(): Promise<ArrayBuffer>;
}
const bunRuntime = (globalThis as { Bun?: { embeddedFiles: readonly EmbeddedFile[] } }).Bun;

const FILE_STORE_HINT = 'reinstall lanyard, or use the file store (LANYARD_STORE=file)';

/** The first reason in the library's chain of load errors (the innermost cause), on one line. */
function firstLoadError(error: unknown): string {
  let deepest = error;
  for (let depth = 0; depth < 20 && deepest instanceof Error && deepest.cause instanceof Error; depth++)
    deepest = deepest.cause;
  return (deepest instanceof Error ? deepest.message : String(deepest)).split('\n')[0].slice(0, 300);
}

const sameBytes = (file: string, bytes: Buffer) => {
  try {
    return readFileSync(file).equals(bytes);
  } catch {
    return false; // absent or unreadable: written (again) below
  }
};

/** Loads `bytes` as an addon from `dir`, writing it there first unless an identical copy is already there. */
export function loadPrivateCopy(bytes: Buffer, dir: string, hashHex: (bytes: Buffer) => string): KeyringAddon {
  const file = join(dir, `keyring-${hashHex(bytes).slice(0, 32)}.node`);
  if (!sameBytes(file, bytes)) {
    try {
      writeFileAtomic(file, bytes, 0o700);
    } catch (error) {
      // Another lanyard may have written it meanwhile, and Windows refuses to replace a loaded DLL.
      if (!sameBytes(file, bytes)) throw error;
    }
    trace(`keychain addon copied to ${file}`);
  }
  const module = { exports: {} };
  process.dlopen(module, file);
  return module.exports as KeyringAddon;
}

const sha256OfBytes = (bytes: Buffer) =>
  process.getBuiltinModule('node:crypto').createHash('sha256').update(bytes).digest('hex');

/** The addon; `privateDir` is where an embedded copy that cannot be loaded in place is put. */
export async function loadKeyringAddon(privateDir: string | undefined): Promise<KeyringAddon> {
  let failure: unknown;
  try {
    return await import('@napi-rs/keyring');
  } catch (error) {
    failure = error;
  }
  const embedded = bunRuntime?.embeddedFiles.find((file) => /^keyring\.[\w.-]+\.node$/.test(file.name));
  if (!embedded || privateDir === undefined)
    throw new UserError(`the keychain addon could not be loaded (${firstLoadError(failure)}); ${FILE_STORE_HINT}`);
  try {
    return loadPrivateCopy(Buffer.from(await embedded.arrayBuffer()), privateDir, sha256OfBytes);
  } catch (error) {
    throw new UserError(
      `the keychain addon embedded in lanyard could not be loaded from ${privateDir} ` +
        `(${firstLoadError(error)}); ${FILE_STORE_HINT}`,
    );
  }
}
