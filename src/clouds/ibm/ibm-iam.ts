// An IBM Cloud API key (`iamapikey`) becomes a 60-minute IAM access token, answered as `iambearer`: the key
// itself never reaches a client process or auth file. With an identity source (a trusted profile's
// compute-resource token, a VPC instance identity) the source's IAM token is already that answer.
import { iambearerLogin, requestIambearer } from './iam-client.js';
import { credentialOf, type Provider } from '../provider.js';
import type { IbmCredential } from './sources.js';

export const ibmIamProvider: Provider = {
  issue: (entry, apiKey, context) =>
    requestIambearer(entry, { grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: apiKey }, context),

  async issueFromSource(_entry, source) {
    const { accessToken, expiresAt, identity } = credentialOf<IbmCredential>(source, 'ibm');
    return iambearerLogin({ accessToken, issuedAt: Date.now(), expiresAt }, identity);
  },
};
