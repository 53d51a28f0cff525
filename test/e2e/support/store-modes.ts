// One sandbox per secret store for files that run the same client scenarios against both: the file
// store, and the keychain backed by a private, real Secret Service. Each sandbox's env selects its
// store (LANYARD_STORE), so every client spawned with it reaches that store through the binary.
import { createSandbox, type Sandbox } from './sandbox.js';
import { startKeyring, type Keyring } from './keyring.js';

export type StoreMode = 'file' | 'keychain';
export const STORE_MODES: StoreMode[] = ['file', 'keychain'];

export interface StoreModeSandboxes {
  boxes: Record<StoreMode, Sandbox>;
  keyring: Keyring;
  /** Stops the keyring and removes the sandboxes. */
  cleanup(): Promise<void>;
}

export async function storeModeSandboxes(label: string): Promise<StoreModeSandboxes> {
  const boxes = {} as Record<StoreMode, Sandbox>;
  for (const mode of STORE_MODES) {
    boxes[mode] = createSandbox(`${label}-${mode}`);
    boxes[mode].env.LANYARD_STORE = mode;
  }
  const cleanup = async (keyring?: Keyring) => {
    try {
      await keyring?.stop();
    } catch (error) {
      console.error(`[${label}] keyring stop:`, error);
    }
    for (const sb of Object.values(boxes)) sb.cleanup();
  };
  let keyring: Keyring;
  try {
    keyring = await startKeyring(boxes.keychain); // sets boxes.keychain.env.DBUS_SESSION_BUS_ADDRESS
  } catch (error) {
    await cleanup();
    throw error;
  }
  return { boxes, keyring, cleanup: () => cleanup(keyring) };
}
