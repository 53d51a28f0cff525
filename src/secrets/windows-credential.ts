// How a secret sits in Windows Credential Manager. A generic credential's blob holds at most 2560 bytes
// (CRED_MAX_CREDENTIAL_BLOB_SIZE). The keyring library's setPassword stores UTF-16, halving that to 1280
// characters (an ordinary 2.3 KB Google service-account key did not fit), so secrets are written as raw UTF-8
// bytes instead, as docker-credential-wincred does. A longer secret is split over several credentials:
//   parts  "<ref>#part-<id>-<i>"   each at most 2560 bytes of the UTF-8 text; <id> is fresh for every write
//   head   "<ref>"                 HEAD_MAGIC + JSON {id, parts, bytes, sha256}
// The parts are written first and the head last, in one CredWrite, so a reader sees the old secret or the
// whole new one, never half; the parts of the replaced secret go afterwards. A head whose parts are missing
// or do not match its checksum is reported as damaged, never returned.
// Reading tells the three blob shapes apart by NUL bytes, which UTF-8 text without U+0000 never has:
//   starts with HEAD_MAGIC -> a split secret;  other NULs -> UTF-16LE, as lanyard wrote before;  else UTF-8.
// A secret holding U+0000 is therefore always written as a (one-part) split secret.
import type { Entry } from '@napi-rs/keyring';
import { UserError } from '../errors.js';
import { randomHex, sha256Hex } from '../hash-and-random.js';

/** CredWrite refuses a larger CredentialBlob. */
export const CREDENTIAL_BLOB_LIMIT = 2560;
/** 40 KB: far beyond any registry secret, small enough that Credential Manager is not flooded. */
export const MAX_PARTS = 16;
const HEAD_MAGIC = Buffer.from('\0lanyard-parts\0', 'latin1');

/** Credential Manager's generic credentials of one service, by account name, as raw blobs. */
export interface CredentialBlobs {
  get(account: string): Uint8Array | undefined;
  set(account: string, blob: Uint8Array): void;
  /** Absent is fine. */
  delete(account: string): void;
}

/** The keyring library's entries of `service` as blobs: getSecret/setSecret move raw bytes. */
export function entryBlobs(EntryClass: typeof Entry, service: string): CredentialBlobs {
  const entry = (account: string) => new EntryClass(service, account);
  return {
    get(account) {
      const blob = entry(account).getSecret();
      return blob ? Uint8Array.from(blob) : undefined;
    },
    set: (account, blob) => entry(account).setSecret(blob),
    delete: (account) => void entry(account).deleteCredential(),
  };
}

interface Head {
  id: string;
  parts: number;
  bytes: number;
  sha256: string;
}

const partAccount = (ref: string, id: string, index: number) => `${ref}#part-${id}-${index}`;

const damaged = (ref: string, why: string) =>
  new UserError(`the secret "${ref}" in Windows Credential Manager is damaged (${why}); log in again to replace it`);

const startsWithMagic = (blob: Uint8Array) =>
  blob.length >= HEAD_MAGIC.length && HEAD_MAGIC.equals(blob.subarray(0, HEAD_MAGIC.length));

/** The head's fields, or undefined when `blob` is not a well-formed head. */
function parseHead(blob: Uint8Array): Head | undefined {
  if (!startsWithMagic(blob)) return undefined;
  try {
    const head = JSON.parse(Buffer.from(blob.subarray(HEAD_MAGIC.length)).toString('utf8')) as Partial<Head>;
    const { id, parts, bytes, sha256 } = head;
    const wellFormed =
      typeof id === 'string' &&
      /^[0-9a-f]{1,32}$/.test(id) &&
      Number.isInteger(parts) &&
      Number.isInteger(bytes) &&
      typeof sha256 === 'string';
    return wellFormed && parts! >= 1 && parts! <= MAX_PARTS ? (head as Head) : undefined;
  } catch {
    return undefined;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(ref: string, blob: Uint8Array): string {
  if (!blob.includes(0)) {
    try {
      return utf8.decode(blob);
    } catch {
      throw damaged(ref, 'its bytes are not UTF-8 text');
    }
  }
  if (blob.length % 2 !== 0) throw damaged(ref, 'its bytes are neither UTF-8 nor UTF-16 text');
  return Buffer.from(blob).toString('utf16le');
}

export interface CredentialManagerSecrets {
  read(ref: string): string | undefined;
  write(ref: string, secret: string): void;
  delete(ref: string): void;
}

/** Lanyard's secrets in Credential Manager, kept in `blobs`; `newId` names each write's parts. */
export function credentialManagerSecrets(blobs: CredentialBlobs, newId = () => randomHex(4)): CredentialManagerSecrets {
  function assemble(ref: string, head: Head): string {
    const chunks: Uint8Array[] = [];
    for (let index = 0; index < head.parts; index++) {
      const part = blobs.get(partAccount(ref, head.id, index));
      if (!part) throw damaged(ref, `part ${index + 1} of ${head.parts} is missing`);
      chunks.push(part);
    }
    const joined = Buffer.concat(chunks);
    let text: string | undefined;
    try {
      text = joined.length === head.bytes ? utf8.decode(joined) : undefined;
    } catch {
      text = undefined;
    }
    if (text === undefined || sha256Hex(text) !== head.sha256)
      throw damaged(ref, `its ${head.parts} parts do not match their checksum`);
    return text;
  }

  /** The parts a head at `ref` names (none for a plain blob or no credential). */
  function partsOf(ref: string, blob: Uint8Array | undefined): string[] {
    const head = blob && parseHead(blob);
    return head ? Array.from({ length: head.parts }, (_, index) => partAccount(ref, head.id, index)) : [];
  }

  function writeSplit(ref: string, secret: string, bytes: Buffer): void {
    const parts = Math.ceil(bytes.length / CREDENTIAL_BLOB_LIMIT);
    if (parts > MAX_PARTS)
      throw new UserError(
        `the secret is ${bytes.length} bytes, more than Windows Credential Manager holds for lanyard ` +
          `(${MAX_PARTS * CREDENTIAL_BLOB_LIMIT}); keep it in the file store (LANYARD_STORE=file)`,
      );
    const id = newId();
    const written: string[] = [];
    try {
      for (let index = 0; index < parts; index++) {
        const account = partAccount(ref, id, index);
        blobs.set(account, bytes.subarray(index * CREDENTIAL_BLOB_LIMIT, (index + 1) * CREDENTIAL_BLOB_LIMIT));
        written.push(account);
      }
      const head: Head = { id, parts, bytes: bytes.length, sha256: sha256Hex(secret) };
      blobs.set(ref, Buffer.concat([HEAD_MAGIC, Buffer.from(JSON.stringify(head))]));
    } catch (error) {
      // The head was not replaced: the old secret stands; the new parts would only be debris.
      for (const account of written) deleteQuietly(account);
      throw error;
    }
  }

  function deleteQuietly(account: string): void {
    try {
      blobs.delete(account);
    } catch {
      /* debris: unreachable without the head that named it */
    }
  }

  return {
    read(ref) {
      const blob = blobs.get(ref);
      if (!blob) return undefined;
      if (startsWithMagic(blob)) {
        const head = parseHead(blob);
        if (!head) throw damaged(ref, 'its list of parts cannot be read');
        return assemble(ref, head);
      }
      return decodeText(ref, blob);
    },
    write(ref, secret) {
      const replaced = partsOf(ref, blobs.get(ref));
      const bytes = Buffer.from(secret, 'utf8');
      if (bytes.length <= CREDENTIAL_BLOB_LIMIT && !bytes.includes(0)) blobs.set(ref, bytes);
      else writeSplit(ref, secret, bytes);
      for (const account of replaced) deleteQuietly(account);
    },
    /** The parts go first: if one cannot be removed, the head still names it for the next attempt. */
    delete(ref) {
      for (const account of partsOf(ref, blobs.get(ref))) blobs.delete(account);
      blobs.delete(ref);
    },
  };
}
