// Where a registry serves ACR's /oauth2/exchange: `--acr-endpoint` when the login gives one, else what the
// registry itself says in its /v2/ challenge (`Bearer realm="https://<registry>/oauth2/token",service=…`): the
// exchange is at the realm's origin. An Entra token goes only where the registry is: the realm must be HTTPS
// (loopback excepted) and on the registry's own host; anything else is refused in one line naming the fix.
import { UserError } from '../../errors.js';
import { quoted } from '../../foreign-text.js';
import { assertSafeEndpoint } from '../../http.js';
import { bearerChallenge, registryBase } from '../distribution-auth.js';
import type { LoginEntry } from '../provider.js';

/** The origin whose /oauth2/exchange takes the Entra token. */
export async function acrExchangeOrigin(entry: LoginEntry, timeoutMs: number | undefined): Promise<string> {
  if (entry.options?.acrEndpoint) return entry.options.acrEndpoint;
  const challenge = await bearerChallenge(entry, timeoutMs);
  const fix = 'give the exchange endpoint with --acr-endpoint if it is elsewhere';
  if (!challenge?.realm) {
    throw new UserError(`${entry.server} answered /v2/ without a Bearer challenge: not an Azure Container Registry?`);
  }
  let realm: URL;
  try {
    realm = assertSafeEndpoint(challenge.realm, `the token realm of ${entry.server}`);
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    throw new UserError(
      `${entry.server} names the token realm ${quoted(challenge.realm)}, which is not an HTTPS URL: ${fix}`,
    );
  }
  const registryHost = new URL(registryBase(entry)).host;
  if (realm.host !== registryHost) {
    throw new UserError(
      `${entry.server} names a token realm on another host (${quoted(realm.host)}): ` +
        `no Entra token is sent there; ${fix}`,
    );
  }
  return realm.origin;
}
