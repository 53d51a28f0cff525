// AZURE_CLIENT_CERTIFICATE_PATH as the Azure Identity libraries read it: a PEM file holding the certificate and
// its private key (the key possibly encrypted), or a PKCS#12 file, either opened with
// AZURE_CLIENT_CERTIFICATE_PASSWORD. What comes out is the RSA key that signs the client assertion and the
// certificate that matches it (its thumbprints name it to Entra). Every problem is one line naming the variable.
import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { UserError } from '../../errors.js';
import { registerSecret } from '../../foreign-text.js';
import { Pkcs12Error, readPkcs12 } from './pkcs12.js';

/** A certificate file is a few kilobytes (a chain of a few certificates); much more and it is something else. */
const CERTIFICATE_FILE_MAX_BYTES = 256 * 1024;

export interface ClientCertificate {
  key: KeyObject;
  certificate: X509Certificate;
}

const SETTING = 'AZURE_CLIENT_CERTIFICATE_PATH';

function pemCertificates(text: string): X509Certificate[] {
  const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block) => new X509Certificate(block));
}

interface Read {
  key: KeyObject;
  all: X509Certificate[];
}

function fromPem(text: string, path: string, password: string | undefined): Read {
  const keyBlock = /-----BEGIN ((?:ENCRYPTED |RSA |EC )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/.exec(text)?.[0];
  if (!keyBlock)
    throw new UserError(`${SETTING} ${path} holds no private key: put the key and the certificate in one PEM`);
  let key: KeyObject;
  try {
    key = createPrivateKey({
      key: keyBlock,
      format: 'pem',
      ...(password !== undefined ? { passphrase: password } : {}),
    });
  } catch {
    const encrypted = /ENCRYPTED|Proc-Type: 4,ENCRYPTED/.test(keyBlock);
    throw new UserError(
      encrypted
        ? `AZURE_CLIENT_CERTIFICATE_PASSWORD does not open the private key in ${path}: set the key's password`
        : `the private key in ${path} (${SETTING}) cannot be read: give a PEM PKCS#8 or PKCS#1 key`,
    );
  }
  let all: X509Certificate[];
  try {
    all = pemCertificates(text);
  } catch {
    throw new UserError(`a certificate in ${path} (${SETTING}) cannot be read: give the PEM certificate Entra has`);
  }
  return { key, all };
}

function fromPkcs12(bytes: Buffer, path: string, password: string | undefined): Read {
  try {
    const { key, certificates } = readPkcs12(bytes, password ?? '');
    return { key, all: certificates.map((der) => new X509Certificate(der)) };
  } catch (error) {
    if (!(error instanceof Pkcs12Error)) throw error;
    if (error.wrongPassword) {
      throw new UserError(
        `AZURE_CLIENT_CERTIFICATE_PASSWORD${password === undefined ? ' is not set and' : ''} does not open ${path}: ` +
          `${error.message}; set the file's password`,
      );
    }
    throw new UserError(
      `${SETTING} ${path} is neither a PEM certificate with its key nor a PKCS#12 file it can read (${error.message})`,
    );
  }
}

/** Reads the certificate file; the certificate returned is the one whose public key is the private key's. */
export function readClientCertificate(path: string, password: string | undefined): ClientCertificate {
  registerSecret(password);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new UserError(`cannot read ${SETTING} ${path}: ${reason}`);
  }
  if (bytes.length > CERTIFICATE_FILE_MAX_BYTES) {
    throw new UserError(`${SETTING} ${path} is larger than ${CERTIFICATE_FILE_MAX_BYTES} bytes: not a certificate`);
  }
  const text = bytes.toString('latin1');
  const read = text.includes('-----BEGIN ') ? fromPem(text, path, password) : fromPkcs12(bytes, path, password);
  if (read.key.asymmetricKeyType !== 'rsa') {
    throw new UserError(
      `the key in ${path} (${SETTING}) is ${read.key.asymmetricKeyType}: Entra takes RSA certificates`,
    );
  }
  const certificate = read.all.find((candidate) => candidate.checkPrivateKey(read.key));
  if (!certificate) throw new UserError(`${SETTING} ${path} holds no certificate for its private key`);
  return { key: read.key, certificate };
}
