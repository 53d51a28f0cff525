// Google Artifact Registry and Container Registry (docs/wire-clouds.md §2): a service-account key (signed
// JWT-bearer grant) or an `authorized_user` file (refresh-token grant) becomes a 1-hour OAuth access token at the
// file's token_uri, answered as `oauth2accesstoken`: the key itself never reaches a client process. With an
// identity source, an ADC file of any type takes its exchange (./adc-exchange.ts) and the metadata server's
// access token is the answer.
import { credentialOf, type IssuedCredential, type LoginEntry, type Provider } from '../provider.js';
import { adcPrincipal, readAdcCredential } from './adc-file.js';
import { adcAccessToken } from './adc-exchange.js';
import { type GoogleToken, usableAccessToken } from './google-answer.js';
import { acceptGoogleLogin, credentialOwner, readGoogleCredential } from './google-key.js';
import { exchangeKey } from './key-exchange.js';
import type { GoogleCredential as GoogleSourceCredential } from './sources.js';

/** The username Google's registries take with an access token as the password. */
const ACCESS_TOKEN_USERNAME = 'oauth2accesstoken';

function accessTokenAnswer(token: GoogleToken, identity?: string): IssuedCredential {
  const { accessToken: secret, issuedAt, expiresAt } = token;
  return { username: ACCESS_TOKEN_USERNAME, secret, issuedAt, expiresAt, ...(identity ? { identity } : {}) };
}

export const gcpProvider: Provider = {
  acceptLogin: acceptGoogleLogin,

  async issue(entry: LoginEntry, secret, context) {
    const credential = readGoogleCredential(secret, `the Google key file stored for ${entry.server}`);
    return accessTokenAnswer(await exchangeKey(entry, credential, context), credentialOwner(credential));
  },

  async issueFromSource(entry, source, context) {
    const found = credentialOf<GoogleSourceCredential>(source, 'gcp');
    if (found.kind === 'key-file') {
      const file = `the ADC file ${found.path}`;
      const credential = readAdcCredential(found.keyFile, file);
      return accessTokenAnswer(await adcAccessToken(entry, credential, file, context), adcPrincipal(credential));
    }
    const accessToken = usableAccessToken(`the ${source.name} source`, found.accessToken);
    const token = { accessToken, issuedAt: Date.now(), expiresAt: found.expiresAt };
    return accessTokenAnswer(token, found.identity);
  },
};
