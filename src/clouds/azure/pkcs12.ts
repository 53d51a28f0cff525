// A PKCS#12 (.pfx/.p12) file as Azure's tools write it (RFC 7292), read far enough to sign with: its MAC checked
// with the password, its certificate bags (plain, or encrypted with PBES2/AES or PKCS#12's 3DES) and its one
// private key (a key bag, or a shrouded one that node:crypto decrypts). RC2, which only legacy exports use, is
// not in every TLS stack: such a file is refused with the command that re-exports it. Errors are Pkcs12Errors,
// which the certificate reader turns into one line naming the variable.
import { createDecipheriv, createHash, createHmac, createPrivateKey, type KeyObject, pbkdf2Sync } from 'node:crypto';

export class Pkcs12Error extends Error {
  constructor(
    message: string,
    /** The password does not open it (the MAC, or a bag's decryption, failed). */
    readonly wrongPassword = false,
  ) {
    super(message);
  }
}

const OID = {
  data: '1.2.840.113549.1.7.1',
  encryptedData: '1.2.840.113549.1.7.6',
  keyBag: '1.2.840.113549.1.12.10.1.1',
  shroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  x509Certificate: '1.2.840.113549.1.9.22.1',
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  pbeSha1TripleDes: '1.2.840.113549.1.12.1.3',
} as const;

/** PBES2's ciphers and PBKDF2's PRFs, by OID. */
const CIPHERS: Record<string, { name: string; keyLength: number }> = {
  '2.16.840.1.101.3.4.1.2': { name: 'aes-128-cbc', keyLength: 16 },
  '2.16.840.1.101.3.4.1.22': { name: 'aes-192-cbc', keyLength: 24 },
  '2.16.840.1.101.3.4.1.42': { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};
const DIGESTS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '1.2.840.113549.2.7': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '1.2.840.113549.2.9': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '1.2.840.113549.2.10': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
  '1.2.840.113549.2.11': 'sha512',
};
/** More than any tool writes (OpenSSL: 2048; Windows: 2000–10000): a file asking for more is not honest. */
const MAX_ITERATIONS = 1_000_000;

interface Der {
  tag: number;
  /** The content octets. */
  body: Buffer;
}

/** One DER element at the start of `bytes`, and what follows it. */
function readDer(bytes: Buffer): { element: Der; rest: Buffer } {
  if (bytes.length < 2) throw new Pkcs12Error('it ends inside an element');
  const tag = bytes[0]!;
  let length = bytes[1]!;
  let offset = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || bytes.length < 2 + count) throw new Pkcs12Error('an element has a bad length');
    length = bytes.subarray(2, 2 + count).reduce((sum, byte) => sum * 256 + byte, 0);
    offset += count;
  }
  if (offset + length > bytes.length) throw new Pkcs12Error('it ends inside an element');
  return { element: { tag, body: bytes.subarray(offset, offset + length) }, rest: bytes.subarray(offset + length) };
}

/** The elements of a constructed element (SEQUENCE, SET, [n]). */
function children(element: Der): Der[] {
  const found: Der[] = [];
  let rest = element.body;
  while (rest.length > 0) {
    const next = readDer(rest);
    found.push(next.element);
    rest = next.rest;
  }
  return found;
}

function expect(element: Der | undefined, tag: number, what: string): Der {
  if (element?.tag !== tag) throw new Pkcs12Error(`${what} is missing or malformed`);
  return element;
}

const sequence = (element: Der | undefined, what: string) => children(expect(element, 0x30, what));
const octets = (element: Der | undefined, what: string) => expect(element, 0x04, what).body;

function integer(element: Der | undefined, what: string): number {
  const body = expect(element, 0x02, what).body;
  if (body.length > 6) throw new Pkcs12Error(`${what} is too large`);
  return body.reduce((sum, byte) => sum * 256 + byte, 0);
}

function oid(element: Der | undefined, what: string): string {
  const body = expect(element, 0x06, what).body;
  const arcs: number[] = [];
  let value = 0;
  for (const byte of body) {
    value = value * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = arcs.shift() ?? 0;
  const top = Math.min(Math.floor(first / 40), 2);
  return [top, first - top * 40, ...arcs].join('.');
}

function iterations(element: Der | undefined, what: string): number {
  const count = element === undefined ? 1 : integer(element, what);
  if (count < 1 || count > MAX_ITERATIONS) throw new Pkcs12Error(`${what} (${count}) is out of range`);
  return count;
}

/** The content of `[0] EXPLICIT`. */
const explicit = (element: Der | undefined, what: string) => children(expect(element, 0xa0, what))[0];

/** RFC 7292 B.2: key material from a password (as a BMPString with its terminator), salt and purpose `id`. */
function pkcs12Kdf(password: Buffer, salt: Buffer, id: number, count: number, size: number, digest: string): Buffer {
  const u = createHash(digest).digest().length;
  const v = 64;
  const fill = (source: Buffer) =>
    Buffer.from(Array.from({ length: v * Math.ceil(source.length / v) }, (_, i) => source[i % source.length]!));
  const input = Buffer.concat([fill(salt), fill(password)]);
  const out: Buffer[] = [];
  for (let made = 0; made < size; made += u) {
    let block = createHash(digest).update(Buffer.alloc(v, id)).update(input).digest();
    for (let i = 1; i < count; i++) block = createHash(digest).update(block).digest();
    out.push(block);
    const b = fill(block);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        carry += input[j + k]! + b[k]!;
        input[j + k] = carry & 0xff;
        carry >>= 8;
      }
    }
  }
  return Buffer.concat(out).subarray(0, size);
}

/** The password as PKCS#12's own KDF takes it: UTF-16 big-endian with a terminating zero. */
function bmpPassword(password: string): Buffer {
  const utf16 = Buffer.from(`${password}\0`, 'utf16le');
  for (let i = 0; i < utf16.length; i += 2) [utf16[i], utf16[i + 1]] = [utf16[i + 1]!, utf16[i]!];
  return utf16;
}

function decrypt(cipher: string, key: Buffer, iv: Buffer, data: Buffer): Buffer {
  try {
    const decipher = createDecipheriv(cipher, key, iv);
    return Buffer.concat([decipher.update(data), decipher.final()]);
  } catch {
    throw new Pkcs12Error('the password does not decrypt its certificates', true);
  }
}

/** Decrypts what an AlgorithmIdentifier (PBES2 or PKCS#12's 3DES) encrypted with the password. */
function decryptWith(algorithm: Der[], password: string, data: Buffer): Buffer {
  const scheme = oid(algorithm[0], 'the encryption algorithm');
  if (scheme === OID.pbeSha1TripleDes) {
    const [salt, count] = sequence(algorithm[1], 'the 3DES parameters');
    const n = iterations(count, 'the iteration count');
    const bmp = bmpPassword(password);
    const saltBytes = octets(salt, 'the salt');
    const key = pkcs12Kdf(bmp, saltBytes, 1, n, 24, 'sha1');
    return decrypt('des-ede3-cbc', key, pkcs12Kdf(bmp, saltBytes, 2, n, 8, 'sha1'), data);
  }
  if (scheme !== OID.pbes2) {
    throw new Pkcs12Error(
      `its certificates are encrypted with ${scheme} (RC2 or older), which lanyard cannot read: re-export it ` +
        'with AES (openssl pkcs12 -in old.pfx -nodes | openssl pkcs12 -export -out new.pfx)',
    );
  }
  const [kdf, encryption] = sequence(algorithm[1], 'the PBES2 parameters').map((part) => sequence(part, 'PBES2'));
  if (oid(kdf?.[0], 'the key derivation') !== OID.pbkdf2) throw new Pkcs12Error('its key derivation is not PBKDF2');
  const [salt, count, ...optional] = sequence(kdf![1], 'the PBKDF2 parameters');
  const prf = optional.find((part) => part.tag === 0x30);
  const digest = prf ? DIGESTS[oid(children(prf)[0], 'the PBKDF2 function')] : 'sha1';
  const cipher = CIPHERS[oid(encryption?.[0], 'the cipher')];
  if (!digest || !cipher) throw new Pkcs12Error('its encryption uses an algorithm lanyard does not know');
  const n = iterations(count, 'the iteration count');
  const key = pbkdf2Sync(Buffer.from(password, 'utf8'), octets(salt, 'the salt'), n, cipher.keyLength, digest);
  return decrypt(cipher.name, key, octets(encryption![1], 'the IV'), data);
}

/** MacData: HMAC over the AuthenticatedSafe with a key from PKCS#12's KDF; tries "" both ways, as OpenSSL does. */
function checkMac(macData: Der, content: Buffer, password: string): void {
  const [digestInfo, salt, count] = sequence(macData, 'the MAC');
  const [algorithm, mac] = sequence(digestInfo, 'the MAC digest');
  const digest = DIGESTS[oid(sequence(algorithm, 'the MAC algorithm')[0], 'the MAC algorithm')];
  if (!digest) throw new Pkcs12Error('its MAC uses a digest lanyard does not know');
  const expected = octets(mac, 'the MAC value');
  const n = iterations(count, 'the MAC iteration count');
  const saltBytes = octets(salt, 'the MAC salt');
  const passwords = password === '' ? [bmpPassword(''), Buffer.alloc(0)] : [bmpPassword(password)];
  const size = createHash(digest).digest().length;
  const matches = passwords.some((bmp) => {
    const key = pkcs12Kdf(bmp, saltBytes, 3, n, size, digest);
    return createHmac(digest, key).update(content).digest().equals(expected);
  });
  if (!matches) throw new Pkcs12Error('the password does not open it (its MAC does not match)', true);
}

export interface Pkcs12Contents {
  key: KeyObject;
  /** DER certificates, in file order. */
  certificates: Buffer[];
}

/** The bags of one SafeContents: keys and certificates found. */
function readBags(safeContents: Buffer, password: string, found: { keys: KeyObject[]; certificates: Buffer[] }) {
  for (const bag of sequence(readDer(safeContents).element, 'the safe contents')) {
    const [type, value] = sequence(bag, 'a bag');
    const bagId = oid(type, 'a bag type');
    const content = explicit(value, 'a bag value');
    if (bagId === OID.certBag) {
      const [certType, certValue] = sequence(content, 'a certificate bag');
      if (oid(certType, 'a certificate type') === OID.x509Certificate) {
        found.certificates.push(octets(explicit(certValue, 'a certificate'), 'a certificate'));
      }
    } else if (bagId === OID.keyBag || bagId === OID.shroudedKeyBag) {
      const der = Buffer.concat([Buffer.from([0x30]), encodedLength(content!.body.length), content!.body]);
      try {
        const passphrase = bagId === OID.shroudedKeyBag ? { passphrase: password } : {};
        found.keys.push(createPrivateKey({ key: der, format: 'der', type: 'pkcs8', ...passphrase }));
      } catch {
        throw new Pkcs12Error('the password does not decrypt its private key', bagId === OID.shroudedKeyBag);
      }
    }
  }
}

function encodedLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Reads a PKCS#12 file: its MAC (when it has one) checked, its one private key and its certificates. */
export function readPkcs12(bytes: Buffer, password: string): Pkcs12Contents {
  const [version, authSafe, macData] = sequence(readDer(bytes).element, 'the PFX');
  if (integer(version, 'the version') !== 3) throw new Pkcs12Error('it is not PKCS#12 version 3');
  const [contentType, content] = sequence(authSafe, 'the authenticated safe');
  if (oid(contentType, 'the content type') !== OID.data) throw new Pkcs12Error('it is signed, not password-protected');
  const safe = octets(explicit(content, 'the authenticated safe'), 'the authenticated safe');
  if (macData) checkMac(macData, safe, password);
  const found = { keys: [] as KeyObject[], certificates: [] as Buffer[] };
  for (const info of sequence(readDer(safe).element, 'the authenticated safe')) {
    const [type, value] = sequence(info, 'a content');
    const kind = oid(type, 'a content type');
    if (kind === OID.data) {
      readBags(octets(explicit(value, 'a content'), 'a content'), password, found);
    } else if (kind === OID.encryptedData) {
      const [, encrypted] = sequence(explicit(value, 'encrypted data'), 'encrypted data');
      const [, algorithm, data] = sequence(encrypted, 'encrypted content');
      const ciphertext = expect(data, 0x80, 'the encrypted content').body;
      readBags(decryptWith(sequence(algorithm, 'the encryption algorithm'), password, ciphertext), password, found);
    }
  }
  if (found.keys.length !== 1) throw new Pkcs12Error(`it holds ${found.keys.length} private keys, not one`);
  if (found.certificates.length === 0) throw new Pkcs12Error('it holds no certificate');
  return { key: found.keys[0]!, certificates: found.certificates };
}
