// Azure Container Registry with a service principal: its client secret (the stored secret; the username is its
// client id, the tenant a login option) becomes an Entra token, which the registry trades for an ACR refresh
// token. Docker gets that as an identity token; username/password clients get it under the null GUID (the kind
// table's identityTokenPasswordUsername). It lives until its JWT `exp` (about 3 h), believed within limits.
// With an identity source (workload or managed identity) the source's Entra token skips the first request.
import { UserError } from '../../errors.js';
import { foreignText, quoted } from '../../foreign-text.js';
import { defaultAuthorityHost, isAcrHost, isTenantId } from './hosts.js';
import type { LoginEntry } from '../provider.js';
import { acrRefreshToken, type AcrLogin, entraAccessToken } from './azure-client.js';
import { jwtExpiry, jwtStringClaim } from '../jwt.js';
import { IDENTITY_TOKEN_USERNAME } from '../cloud.js';
import type { AzureCredential } from './entra-grant.js';
import { acrExchangeOrigin } from './exchange-endpoint.js';
import { isLoopbackServer } from '../distribution-auth.js';
import { checkedExpiry, credentialOf, type IssueContext, type IssuedCredential, type Provider } from '../provider.js';

/** A refresh token whose `exp` cannot be read is trusted this long (ACR's have lived about 3 h). */
const UNREADABLE_EXPIRY_LIFETIME_MS = 3600_000;

/** Who signs in: the stored login's client id and tenant, or the identity a source proved and its tenant. */
interface Principal {
  clientId: string;
  tenant: string | undefined;
}

async function acrLogin(entry: LoginEntry, principal: Principal, context: IssueContext): Promise<AcrLogin> {
  const { acrEndpoint, caFile, registryURL } = entry.options ?? {};
  const { tenant } = principal;
  if (tenant === undefined || !isTenantId(tenant)) {
    const has = tenant === undefined ? 'no tenant' : `the tenant ${quoted(tenant)}`;
    throw new UserError(`the Azure login for ${entry.server} has ${has}: log in again with --tenant <tenant id>`);
  }
  // An ACR refresh token is for one registry (`service`): a pattern has no host to ask.
  if (entry.server.includes('*')) {
    throw new UserError(`an Azure login names one registry, not a pattern like ${entry.server}: log in to each`);
  }
  // Elsewhere than ACR's hosts the registry is asked only when it is this machine's or named by hand.
  const askable = isAcrHost(entry.server) || isLoopbackServer(entry.server) || registryURL !== undefined;
  if (acrEndpoint === undefined && !askable) {
    throw new UserError(`${entry.server} is no *.azurecr.* host: give its exchange endpoint with --acr-endpoint`);
  }
  return {
    registry: entry.server,
    tenant,
    clientId: principal.clientId,
    authority: context.config.azureAuthorityHost ?? defaultAuthorityHost(entry.server),
    acrEndpoint: await acrExchangeOrigin(entry, context.timeoutMs),
    ...(caFile ? { caFile } : {}),
    ...(context.timeoutMs ? { timeoutMs: context.timeoutMs } : {}),
  };
}

/** The registry's exchange of an Entra token, and how long its refresh token lives and whose it is. */
async function refreshTokenFor(login: AcrLogin, entraToken: string): Promise<IssuedCredential> {
  const issuedAt = Date.now();
  const refreshToken = await acrRefreshToken(login, entraToken);
  const exp = jwtExpiry(refreshToken);
  const service = `the registry ${login.registry}`;
  const expiresAt =
    exp === undefined
      ? issuedAt + UNREADABLE_EXPIRY_LIFETIME_MS
      : checkedExpiry(service, `refresh token exp ${exp / 1000}, by this machine's clock`, issuedAt, exp);
  // The registry's word on whom it issued the token to (the principal); its `tenant` as well when it says so.
  const subject = jwtStringClaim(refreshToken, 'sub');
  const tenant = jwtStringClaim(refreshToken, 'tenant');
  const identity = subject && foreignText(`${subject}${tenant ? ` in tenant ${tenant}` : ''}`, 120);
  return {
    username: IDENTITY_TOKEN_USERNAME,
    secret: refreshToken,
    issuedAt,
    expiresAt,
    ...(identity ? { identity } : {}),
  };
}

export const azureAcrProvider: Provider = {
  async issue(entry, clientSecret, context) {
    const principal = { clientId: entry.username, tenant: entry.options?.tenant };
    const login = await acrLogin(entry, principal, context);
    return refreshTokenFor(login, await entraAccessToken(login, clientSecret));
  },

  async issueFromSource(entry, source, context) {
    const found = credentialOf<AzureCredential>(source, 'azure');
    // The token names its tenant (`tid`); a login's --tenant or AZURE_TENANT_ID only when it does not.
    const tenant = found.tenant ?? entry.options?.tenant ?? context.config.identity.azure.tenantId;
    const login = await acrLogin(entry, { clientId: found.identity, tenant }, context);
    return refreshTokenFor(login, found.accessToken);
  },
};
