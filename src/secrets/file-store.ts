// The headless store: one JSON file, mode 0600, in the user's data directory.
// Chosen explicitly (LANYARD_STORE=file) or announced when no Secret Service exists.
import { readFileSync, statSync } from 'node:fs';
import { UserError } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { withLock } from '../fsutil/lock.js';
import { othersCanRead } from '../fsutil/owner-only.js';
import { lockPathFor } from '../paths.js';
import { emptyRecord, Field, InvalidInputError, parseJson } from '../validate.js';
import type { SecretStore } from './secret-store.js';
import { hostPlatform } from '../platform.js';

interface SecretsFile {
  version: 1;
  secrets: Record<string, string>;
}

/** Like ssh with a private key: refuse a file others can read rather than use it quietly (not on Windows). */
export function openToOthers(file: string, mode: number, platform: NodeJS.Platform): UserError | undefined {
  if (!othersCanRead(mode, platform)) return undefined;
  const bits = (mode & 0o777).toString(8);
  return new UserError(`the secrets file ${file} is readable by others (mode ${bits}); run: chmod 600 ${file}`);
}

/** The file's content; `guarded`: refuse a file others can read (an erase goes ahead: it only takes away). */
function load(file: string, guarded = true): SecretsFile {
  let text: string;
  try {
    const problem = guarded ? openToOthers(file, statSync(file).mode, hostPlatform()) : undefined;
    if (problem) throw problem;
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, secrets: emptyRecord() };
    if (error instanceof UserError) throw error;
    throw new UserError(`cannot read the secrets file ${file}: ${(error as Error).message}`);
  }
  try {
    // Secret ids are keys: without prototypes, an id such as `constructor` is found only if stored.
    const root = Field.root(file, parseJson(text));
    root.member('version').equal(1);
    return Object.assign(root.object(), { version: 1, secrets: root.member('secrets').stringRecord() }) as SecretsFile;
  } catch (error) {
    if (!(error instanceof InvalidInputError || error instanceof SyntaxError)) throw error;
    const detail = error instanceof SyntaxError ? `${file} is not valid JSON` : error.message;
    const fix = 'restore it from a backup or move it aside and log in again';
    throw new UserError(`${detail}: the secrets file is damaged; nothing was changed — ${fix}`);
  }
}

async function update(path: string, change: (file: SecretsFile) => void, guarded = true): Promise<void> {
  await withLock(lockPathFor(path), () => {
    const file = load(path, guarded);
    change(file);
    writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o600);
  });
}

/** The store kept in the secrets file at `path`. */
export const fileStore = (path: string): SecretStore => ({
  name: 'file',
  async read(ref) {
    const { secrets } = load(path);
    return Object.hasOwn(secrets, ref) ? secrets[ref] : undefined;
  },
  async write(ref, secret) {
    await update(path, (file) => {
      file.secrets[ref] = secret;
    });
  },
  async delete(ref) {
    if (!Object.hasOwn(load(path, false).secrets, ref)) return;
    await update(
      path,
      (file) => {
        delete file.secrets[ref];
      },
      false,
    );
  },
  describe(ref) {
    return `the file store ${path} (key "${ref}")`;
  },
});
