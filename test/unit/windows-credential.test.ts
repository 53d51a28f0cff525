import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CREDENTIAL_BLOB_LIMIT,
  credentialManagerSecrets,
  type CredentialBlobs,
} from '../../src/secrets/windows-credential.js';

/** Credential Manager as a map, refusing what CredWrite refuses; `failSetAfter` makes the nth set fail. */
function memoryBlobs(failSetAfter = Infinity) {
  const store = new Map<string, Buffer>();
  let sets = 0;
  const blobs: CredentialBlobs = {
    get: (account) => store.get(account),
    set(account, blob) {
      if (++sets > failSetAfter) throw new Error('Platform secure storage failure: simulated');
      if (blob.length > CREDENTIAL_BLOB_LIMIT) throw new Error(`longer than the platform limit of 2560 chars`);
      store.set(account, Buffer.from(blob));
    },
    delete: (account) => void store.delete(account),
  };
  return { store, blobs };
}

let ids = 0;
const nextId = () => `${++ids}`;

// A Google service-account key: JSON with a PEM private key, as `gcloud iam service-accounts keys create` writes.
function googleKey(size: number): string {
  const head = '{"type":"service_account","project_id":"demo","private_key":"-----BEGIN PRIVATE KEY-----\\n';
  const tail = '\\n-----END PRIVATE KEY-----\\n","client_email":"ci@demo.iam.gserviceaccount.com"}';
  const body = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'
    .repeat(Math.ceil(size / 32))
    .slice(0, size - head.length - tail.length);
  return head + body + tail;
}

test('a short secret is one credential of raw UTF-8 bytes, as docker-credential-wincred writes', () => {
  const { store, blobs } = memoryBlobs();
  const secrets = credentialManagerSecrets(blobs, nextId);
  secrets.write('ibm/abc', 'ключ-🔑');
  assert.equal([...store.keys()], ['ibm/abc']);
  assert.equal(store.get('ibm/abc'), Buffer.from('ключ-🔑', 'utf8'));
  assert.is(secrets.read('ibm/abc'), 'ключ-🔑');
});

test('2560 bytes fit one credential; 1280 UTF-16 characters were the old limit', () => {
  const { store, blobs } = memoryBlobs();
  const secrets = credentialManagerSecrets(blobs, nextId);
  secrets.write('r', 'k'.repeat(CREDENTIAL_BLOB_LIMIT));
  assert.is(store.size, 1);
  assert.is(secrets.read('r'), 'k'.repeat(CREDENTIAL_BLOB_LIMIT));
});

for (const size of [2300, 5000, CREDENTIAL_BLOB_LIMIT + 1, 3 * CREDENTIAL_BLOB_LIMIT]) {
  test(`a ${size}-byte Google key is split over credentials and read back whole`, () => {
    const { store, blobs } = memoryBlobs();
    const secrets = credentialManagerSecrets(blobs, nextId);
    const key = googleKey(size);
    secrets.write('gcp/k', key);
    for (const blob of store.values()) assert.ok(blob.length <= CREDENTIAL_BLOB_LIMIT);
    assert.is(store.size, size <= CREDENTIAL_BLOB_LIMIT ? 1 : 1 + Math.ceil(size / CREDENTIAL_BLOB_LIMIT));
    assert.is(secrets.read('gcp/k'), key);
  });
}

test('multi-byte characters cut across a part boundary come back intact', () => {
  const { blobs } = memoryBlobs();
  const secrets = credentialManagerSecrets(blobs, nextId);
  const secret = `x${'€'.repeat(2000)}`; // 6001 bytes: the cuts fall inside 3-byte characters
  secrets.write('r', secret);
  assert.is(secrets.read('r'), secret);
});

test('a secret holding U+0000 is kept whole (as a one-part split secret)', () => {
  const { store, blobs } = memoryBlobs();
  const secrets = credentialManagerSecrets(blobs, nextId);
  secrets.write('r', 'a\0b');
  assert.is(store.size, 2);
  assert.is(secrets.read('r'), 'a\0b');
});

test('an entry written by earlier lanyard versions (UTF-16LE through setPassword) is still read', () => {
  const { store, blobs } = memoryBlobs();
  store.set('old/1', Buffer.from('apikey-héllo', 'utf16le'));
  assert.is(credentialManagerSecrets(blobs, nextId).read('old/1'), 'apikey-héllo');
});

test('absent is undefined; erasing absent is fine', () => {
  const { blobs } = memoryBlobs();
  const secrets = credentialManagerSecrets(blobs, nextId);
  assert.is(secrets.read('nope'), undefined);
  secrets.delete('nope');
});

test('overwriting replaces the value and removes the replaced parts', () => {
  const { store, blobs } = memoryBlobs();
  const secrets = credentialManagerSecrets(blobs, nextId);
  secrets.write('r', googleKey(8000));
  secrets.write('r', googleKey(5000));
  assert.is(secrets.read('r'), googleKey(5000));
  assert.is(store.size, 3);
  secrets.write('r', 'short');
  assert.equal([...store.keys()], ['r']);
  assert.is(secrets.read('r'), 'short');
});

test('erase removes the head and every part', () => {
  const { store, blobs } = memoryBlobs();
  const secrets = credentialManagerSecrets(blobs, nextId);
  secrets.write('r', googleKey(5000));
  secrets.write('other', 'kept');
  secrets.delete('r');
  assert.equal([...store.keys()], ['other']);
  assert.is(secrets.read('r'), undefined);
});

test('a write that fails part-way leaves the old secret readable and no new parts behind', () => {
  for (let failAfter = 0; failAfter < 3; failAfter++) {
    const { store, blobs } = memoryBlobs();
    const secrets = credentialManagerSecrets(blobs, nextId);
    secrets.write('r', 'the old one');
    const failing = memoryBlobs(failAfter);
    for (const [account, blob] of store) failing.store.set(account, blob);
    const again = credentialManagerSecrets(failing.blobs, nextId);
    assert.throws(() => again.write('r', googleKey(5000)), /simulated/);
    assert.is(again.read('r'), 'the old one');
    assert.equal([...failing.store.keys()], ['r']);
  }
});

test('a head whose parts are missing or altered is reported as damaged, never returned', () => {
  const { store, blobs } = memoryBlobs();
  const secrets = credentialManagerSecrets(blobs, nextId);
  secrets.write('r', googleKey(5000));
  const [firstPart] = [...store.keys()].filter((account) => account.includes('#part-'));
  const kept = store.get(firstPart)!;
  store.set(firstPart, Buffer.from(kept).fill(0x41, 0, 1));
  assert.throws(() => secrets.read('r'), /^the secret "r" .* is damaged \(its 2 parts do not match their checksum\)/);
  store.delete(firstPart);
  assert.throws(() => secrets.read('r'), /damaged \(part 1 of 2 is missing\); log in again/);
  store.set('r', Buffer.from('\0lanyard-parts\0{not json', 'latin1'));
  assert.throws(() => secrets.read('r'), /damaged \(its list of parts cannot be read\)/);
});

test('a secret larger than the parts allow is refused in one line naming the file store', () => {
  const { store, blobs } = memoryBlobs();
  const secrets = credentialManagerSecrets(blobs, nextId);
  assert.throws(() => secrets.write('r', 'x'.repeat(50_000)), /50000 bytes.*\(LANYARD_STORE=file\)$/);
  assert.is(store.size, 0);
});

test.run();
