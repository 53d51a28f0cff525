// Azure identity sources (docs/wire-identities.md §3): a Microsoft Entra access token for Azure Container
// Registry, which the azure-acr provider trades at the registry's /oauth2/exchange as it does a service principal's.
//   workload identity  AZURE_FEDERATED_TOKEN_FILE (a projected service-account token, or a CI job's OIDC token)
//                      sent as client_assertion with AZURE_CLIENT_ID to the tenant's v2.0 token endpoint
//   managed identity   IDENTITY_ENDPOINT + IDENTITY_HEADER (App Service, Functions, Container Apps), else the
//                      instance metadata service (VMs, VM scale sets, AKS nodes' kubelet identity)
import type { AzureIdentityConfig } from '../../config.js';
import { ServiceRefusedError, UserError } from '../../errors.js';
import { registerSecret } from '../../foreign-text.js';
import {
  ask,
  epochSeconds,
  METADATA_TIMEOUT_MS,
  metadataUrl,
  readAnswer,
  readTokenFile,
  refused,
  secretField,
} from '../source-io.js';
import { ACR_RESOURCE, type AzureCredential, credentialFrom, entraClientCredentials } from './entra-grant.js';

export const AZURE_IMDS_DEFAULT = 'http://169.254.169.254';
const APP_SERVICE_API_VERSION = '2019-08-01';
const IMDS_API_VERSION = '2018-02-01';

export interface WorkloadIdentityOptions {
  /** AZURE_AUTHORITY_HOST (the azure-acr work's setting); default https://login.microsoftonline.com. */
  authorityHost?: string;
  resource?: string;
  timeoutMs?: number;
}

export interface ManagedIdentityOptions {
  resource?: string;
  /** A user-assigned identity's client id (AZURE_CLIENT_ID, or the login's option); default the system one. */
  clientId?: string;
  timeoutMs?: number;
}

export async function azureWorkloadIdentity(
  azure: AzureIdentityConfig,
  options: WorkloadIdentityOptions = {},
): Promise<AzureCredential> {
  const { federatedTokenFile, clientId, tenantId } = azure;
  const missing = [
    ['AZURE_FEDERATED_TOKEN_FILE', federatedTokenFile],
    ['AZURE_CLIENT_ID', clientId],
    ['AZURE_TENANT_ID', tenantId],
  ].filter(([, value]) => !value);
  if (missing.length) {
    throw new UserError(`Azure workload identity: ${missing.map(([name]) => name).join(', ')} not set`);
  }
  const assertion = readTokenFile(federatedTokenFile!, 'federated token file', 'AZURE_FEDERATED_TOKEN_FILE');
  return entraClientCredentials({
    ...options,
    tenant: tenantId!,
    clientId: clientId!,
    proof: { client_assertion: assertion },
    proofName: 'federated token',
  });
}

/** App Service / Container Apps flavour when IDENTITY_ENDPOINT and IDENTITY_HEADER are set, else IMDS. */
export async function azureManagedIdentity(
  azure: AzureIdentityConfig,
  options: ManagedIdentityOptions = {},
): Promise<AzureCredential> {
  const appService = azure.identityEndpoint !== undefined && azure.identityHeader !== undefined;
  if (azure.identityEndpoint !== undefined && !appService) {
    throw new UserError('Azure managed identity: IDENTITY_ENDPOINT is set but IDENTITY_HEADER is not');
  }
  const query = new URLSearchParams({
    'api-version': appService ? APP_SERVICE_API_VERSION : IMDS_API_VERSION,
    resource: options.resource ?? ACR_RESOURCE,
    ...(options.clientId ? { client_id: options.clientId } : {}),
  });
  let url: URL;
  let headers: Record<string, string>;
  if (appService) {
    registerSecret(azure.identityHeader);
    url = metadataUrl(azure.identityEndpoint!, '', 'IDENTITY_ENDPOINT');
    headers = { 'X-IDENTITY-HEADER': azure.identityHeader!, Accept: 'application/json' };
  } else {
    url = metadataUrl(azure.imdsEndpoint ?? AZURE_IMDS_DEFAULT, 'metadata/identity/oauth2/token', 'the IMDS endpoint');
    headers = { Metadata: 'true', Accept: 'application/json' };
  }
  url.search = query.toString();
  const where = appService
    ? `the managed identity endpoint at ${url.origin}`
    : `the Azure instance metadata service at ${url.origin}`;
  const response = await ask(
    where,
    url,
    { headers, timeoutMs: options.timeoutMs ?? METADATA_TIMEOUT_MS },
    appService ? 'IDENTITY_ENDPOINT does not answer' : 'not on an Azure VM, or no managed identity endpoint here',
  );
  if (response.status !== 200) {
    // IMDS says 400 "Identity not found" when no identity (or not the one asked for) is assigned.
    const none = response.status === 400 && /identity not found/i.test(response.body);
    if (none) {
      const which = options.clientId ? ` with client id ${options.clientId}` : '';
      throw new ServiceRefusedError(
        where,
        `answered 400 Identity not found: no managed identity${which} is assigned here`,
        {
          status: 400,
          permanent: true,
        },
      );
    }
    throw refused(where, response, 'for a managed identity token');
  }
  const token = readAnswer(where, response, (body) => ({
    accessToken: secretField(body.member('access_token')),
    expiresOn: epochSeconds(body.member('expires_on').value),
    expiresIn: Number(body.member('expires_in').value),
  }));
  // expires_on (epoch seconds, a string in both flavours) is the documented field; expires_in only in IMDS's.
  const expiresAt = Number.isNaN(token.expiresOn) ? Date.now() + token.expiresIn * 1000 : token.expiresOn;
  return credentialFrom(where, token.accessToken, expiresAt, options.clientId ?? 'system-assigned identity');
}
