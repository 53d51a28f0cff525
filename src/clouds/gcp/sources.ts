// Google Cloud identity sources (docs/wire-identities.md §2), in the order Google's libraries look for them:
//   1. GOOGLE_APPLICATION_CREDENTIALS, else gcloud's application_default_credentials.json: a file of any ADC type
//      (./adc-file.ts), read whole here so a bad one is one line at once, and handed to the gcp provider;
//   2. the metadata server's default service account (GCE, GKE node or workload identity, Cloud Run, CI runners on
//      Google Cloud): an access token and its expiry, plus the account's e-mail. GCE_METADATA_HOST moves it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GoogleIdentityConfig } from '../../config.js';
import { ServiceRefusedError, UserError } from '../../errors.js';
import { foreignText } from '../../foreign-text.js';
import { header } from '../../http.js';
import {
  believedExpiry,
  METADATA_TIMEOUT_MS,
  metadataGet,
  metadataUrl,
  readAnswer,
  secretField,
  type SourceIdentity,
} from '../source-io.js';
import { type AdcCredential, adcPrincipal, readAdcCredential } from './adc-file.js';

export type GoogleCredential =
  | (SourceIdentity & { kind: 'access-token'; accessToken: string; expiresAt: number })
  | (SourceIdentity & {
      kind: 'key-file';
      /** The file's text, as `login --password-stdin` would have read it. */
      keyFile: string;
      fileType: AdcCredential['type'];
      path: string;
    });

/** The metadata server's address; metadata.google.internal resolves to it, without a DNS lookup off Google Cloud. */
export const GCE_METADATA_DEFAULT_HOST = '169.254.169.254';
const ACCOUNT_PATH = 'computeMetadata/v1/instance/service-accounts/default/';
const ABSENT_HINT = 'not on Google Cloud, or no metadata server reachable from here';

/** Where an ADC file is: GOOGLE_APPLICATION_CREDENTIALS, else gcloud's well-known file when it exists. */
export function adcFilePath(google: GoogleIdentityConfig): { path: string; setting: string } | undefined {
  if (google.applicationCredentials) {
    return { path: google.applicationCredentials, setting: 'GOOGLE_APPLICATION_CREDENTIALS' };
  }
  const wellKnown = join(google.gcloudConfigDir, 'application_default_credentials.json');
  return existsSync(wellKnown) ? { path: wellKnown, setting: 'gcloud application-default login' } : undefined;
}

export function googleApplicationDefault(google: GoogleIdentityConfig): GoogleCredential {
  const found = adcFilePath(google);
  if (!found) {
    throw new UserError(
      'Google application default credentials: GOOGLE_APPLICATION_CREDENTIALS is not set and ' +
        `${join(google.gcloudConfigDir, 'application_default_credentials.json')} does not exist`,
    );
  }
  let text: string;
  try {
    text = readFileSync(found.path, 'utf8');
  } catch (error) {
    throw new UserError(
      `cannot read the Google credentials file ${found.path} (${found.setting}): ${(error as Error).message}`,
    );
  }
  const file = `the ADC file ${found.path} (${found.setting})`;
  const credential = readAdcCredential(text, file);
  return {
    kind: 'key-file',
    keyFile: text,
    fileType: credential.type,
    path: found.path,
    identity: adcPrincipal(credential),
  };
}

export async function googleMetadata(
  google: GoogleIdentityConfig,
  timeoutMs = METADATA_TIMEOUT_MS,
): Promise<GoogleCredential> {
  const base = `http://${google.metadataHost ?? GCE_METADATA_DEFAULT_HOST}`;
  const url = (path: string) => metadataUrl(base, `${ACCOUNT_PATH}${path}`, 'GCE_METADATA_HOST');
  const where = `the Google metadata server at ${url('').origin}`;
  const missing = 'for the default service account: none is attached to this instance or workload';
  const get = async (path: string) => {
    const options = { headers: { 'Metadata-Flavor': 'Google' }, timeoutMs };
    const answer = await metadataGet(where, url(path), options, ABSENT_HINT, { path, missing });
    // Google's libraries check this header too: whatever else answers on that address is not the metadata server.
    if (header(answer, 'metadata-flavor') !== 'Google') {
      throw new ServiceRefusedError(
        where,
        'answered without Metadata-Flavor: Google: it is not a metadata server (check GCE_METADATA_HOST)',
        {
          status: answer.status,
          permanent: true,
        },
      );
    }
    return answer;
  };
  const issuedAt = Date.now();
  const [tokenAnswer, emailAnswer] = await Promise.all([get('token'), get('email')]);
  const token = readAnswer(where, tokenAnswer, (body) => ({
    accessToken: secretField(body.member('access_token')),
    expiresIn: body.member('expires_in').value,
  }));
  if (typeof token.expiresIn !== 'number') {
    throw new ServiceRefusedError(where, 'answered a token without a numeric expires_in', { permanent: false });
  }
  return {
    kind: 'access-token',
    accessToken: token.accessToken,
    expiresAt: believedExpiry(where, issuedAt + token.expiresIn * 1000, issuedAt),
    identity: foreignText(emailAnswer.body.trim(), 200) || 'the default service account',
  };
}
