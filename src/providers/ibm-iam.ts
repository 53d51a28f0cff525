// An IBM Cloud API key (`iamapikey`) becomes a 60-minute IAM access token, answered
// as `iambearer`: the key itself never reaches a client process or auth file.
import { requestIambearer } from './iam-client.js';
import type { Provider } from './provider.js';

export const ibmIamProvider: Provider = {
  issue: (entry, apiKey, context) =>
    requestIambearer(
      entry,
      { grant_type: 'urn:ibm:params:oauth:grant-type:apikey', apikey: apiKey },
      undefined,
      context?.timeoutMs,
    ),
};
