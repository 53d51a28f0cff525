// A stored IAM refresh token (`iamrefresh`, as `ibmcloud cr login` uses). IAM's
// refresh grant needs the client id/secret that obtained the token (the IBM CLI's is
// bx:bx); where that works the client gets an access token as `iambearer`, otherwise
// the refresh token is passed through unchanged and the registry mints tokens itself.
import { isPermanent } from '../../errors.js';
import { requestIambearer } from './iam-client.js';
import { passThrough, type Provider } from '../provider.js';

// The registry accepts an `iamrefresh` login for far longer than an hour; re-try the
// grant every so often in case it starts working (e.g. client credentials were added).
const PASS_THROUGH_RECHECK_MS = 15 * 60_000;

export const iamRefreshProvider: Provider = {
  async issue(entry, refreshToken, context) {
    const client = entry.options?.iamClient ?? 'bx:bx';
    try {
      return await requestIambearer(
        entry,
        { grant_type: 'refresh_token', refresh_token: refreshToken },
        context,
        client,
      );
    } catch (error) {
      if (!isPermanent(error)) throw error;
      return passThrough(entry, refreshToken, Date.now() + PASS_THROUGH_RECHECK_MS);
    }
  },
};
