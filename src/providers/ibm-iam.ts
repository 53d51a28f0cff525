// An IBM Cloud API key (`iamapikey`) becomes a 60-minute IAM access token, answered as `iambearer`: the key
// itself never reaches a client process or auth file. With an identity source (a trusted profile's
// compute-resource token, a VPC instance identity) the source's IAM token is already that answer.
import { type IamTokens, requestIamToken } from './iam-client.js';
import { credentialOf, type IssuedCredential, type Provider } from './provider.js';

function bearer(tokens: Omit<IamTokens, 'refreshToken'>, identity?: string): IssuedCredential {
  return {
    username: 'iambearer',
    secret: tokens.accessToken,
    issuedAt: tokens.issuedAt,
    expiresAt: tokens.expiresAt,
    ...(identity ? { identity } : {}),
  };
}

export const ibmIamProvider: Provider = {
  async issue(entry, apiKey, context) {
    const tokens = await requestIamToken(
      entry,
      { grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: apiKey },
      undefined,
      context?.timeoutMs,
    );
    return bearer(tokens);
  },

  async issueFromSource(_entry, source) {
    const { accessToken, expiresAt, identity } = credentialOf(source, 'ibm');
    return bearer({ accessToken, issuedAt: Date.now(), expiresAt }, identity);
  },
};
