// Google credential files (docs/wire-clouds.md §2.2, §2.3): a service-account key or a gcloud `authorized_user`
// file, read and checked the same way at login and at every exchange; the legacy `_json_key_base64` login;
// and the RS256 assertion of the JWT-bearer grant, signed with node:crypto.
import { createPrivateKey, type KeyObject, sign } from 'node:crypto';
import { UserError } from '../../errors.js';
import { registerSecret } from '../../foreign-text.js';
import { assertSafeEndpoint } from '../../http.js';
import { Field, parseJson } from '../../validate.js';
import type { LoginSecret } from '../provider.js';
import { CLOUD_PLATFORM_SCOPE } from './google-answer.js';

export const GOOGLE_TOKEN_URI = 'https://oauth2.googleapis.com/token';
/** Google refuses assertions that live longer. */
const ASSERTION_LIFETIME_S = 3600;
/** `docker login -u _json_key_base64`: the password is the key file, base64-encoded. */
const BASE64_KEY_USERNAME = '_json_key_base64';
/** ADC types that name where a token comes from rather than a key (read by ./adc-file.ts for `--source gcp-adc`). */
const POINTER_TYPES = ['external_account', 'external_account_authorized_user', 'impersonated_service_account'];
/** Shown as the login's username for an `authorized_user` file that names no account. */
const AUTHORIZED_USER = 'authorized_user';

interface TokenEndpoint {
  /** As written in the file: the assertion's `aud` must be exactly this. */
  tokenUri: string;
  tokenUrl: URL;
}

export interface ServiceAccountKey extends TokenEndpoint {
  type: 'service_account';
  clientEmail: string;
  privateKeyId?: string;
  privateKey: KeyObject;
}

export interface AuthorizedUser extends TokenEndpoint {
  type: 'authorized_user';
  clientId: string;
  clientSecret: string;
  refreshToken: string;
  /** gcloud writes the signed-in account here (often empty). */
  account?: string;
}

export type GoogleCredential = ServiceAccountKey | AuthorizedUser;

function privateKeyOf(field: Field): KeyObject {
  const pem = field.nonEmptyString();
  registerSecret(pem); // as PEM with real line breaks, beside the file's JSON-escaped form
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    // node:crypto's reason names only the decoder step; the key itself is never quoted.
    throw field.invalid('is not a PEM private key (copy the key file again as Google gave it)');
  }
  if (key.asymmetricKeyType !== 'rsa') throw field.invalid(`is an ${key.asymmetricKeyType} key, not RSA (RS256)`);
  return key;
}

/**
 * The credential in a Google key file's text; `source` names the file in errors (e.g. "the key file on stdin").
 * Every error is one line naming the field; no value from the file but its `type` is ever quoted.
 */
export function readGoogleCredential(text: string, source: string): GoogleCredential {
  registerSecret(text);
  let parsed: unknown;
  try {
    parsed = parseJson(text);
  } catch {
    throw new UserError(`${source} is not JSON: give the key file itself (--password-stdin < key.json)`);
  }
  const root = Field.root(source, parsed);
  const pointer = root.member('type').value;
  if (typeof pointer === 'string' && POINTER_TYPES.includes(pointer)) {
    throw new UserError(
      `${source} is an ${pointer} file: it points at an identity elsewhere instead of holding a key, so it cannot ` +
        'be stored; set GOOGLE_APPLICATION_CREDENTIALS to it and log in with --source gcp-adc',
    );
  }
  const type = root.member('type').oneOf(['service_account', 'authorized_user'] as const);
  const tokenUri = root.member('token_uri').optionalString() ?? GOOGLE_TOKEN_URI;
  const endpoint = { tokenUri, tokenUrl: assertSafeEndpoint(tokenUri, `${source}: token_uri`) };
  if (type === 'service_account') {
    const privateKeyId = root.member('private_key_id').optionalString();
    return {
      type,
      ...endpoint,
      clientEmail: root.member('client_email').nonEmptyString(),
      ...(privateKeyId ? { privateKeyId } : {}),
      privateKey: privateKeyOf(root.member('private_key')),
    };
  }
  const clientSecret = root.member('client_secret').nonEmptyString();
  const refreshToken = root.member('refresh_token').nonEmptyString();
  registerSecret(clientSecret);
  registerSecret(refreshToken);
  const account = root.member('account').optionalString();
  return {
    type,
    ...endpoint,
    clientId: root.member('client_id').nonEmptyString(),
    clientSecret,
    refreshToken,
    ...(account ? { account } : {}),
  };
}

/** Who the credential belongs to, as far as its file says. */
export function credentialOwner(credential: GoogleCredential): string | undefined {
  return credential.type === 'service_account' ? credential.clientEmail : credential.account;
}

function decodeBase64Key(secret: string): string {
  const compact = secret.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new UserError(`the ${BASE64_KEY_USERNAME} password is not base64 (it must be the key file, base64-encoded)`);
  }
  return Buffer.from(compact, 'base64').toString('utf8');
}

/**
 * A login of a Google key file: the file itself (`login … --password-stdin < key.json`, `docker login -u
 * _json_key`) or base64 of it (`-u _json_key_base64`). The file is stored as text; the username shown is its owner.
 */
export function acceptGoogleLogin(login: LoginSecret): LoginSecret {
  const text = (login.username === BASE64_KEY_USERNAME ? decodeBase64Key(login.secret) : login.secret).trim();
  const credential = readGoogleCredential(text, 'the Google key file given');
  return { username: credentialOwner(credential) ?? AUTHORIZED_USER, secret: text };
}

const base64Json = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The JWT-bearer grant's assertion (RS256 = RSASSA-PKCS1-v1_5 with SHA-256, node:crypto's RSA `sign`). */
export function signedAssertion(key: ServiceAccountKey, now = Date.now(), scope = CLOUD_PLATFORM_SCOPE): string {
  const iat = Math.floor(now / 1000);
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = {
    iss: key.clientEmail,
    scope,
    aud: key.tokenUri,
    iat,
    exp: iat + ASSERTION_LIFETIME_S,
  };
  const signed = `${base64Json(header)}.${base64Json(claims)}`;
  return `${signed}.${sign('sha256', Buffer.from(signed), key.privateKey).toString('base64url')}`;
}
