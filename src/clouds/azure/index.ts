// Azure Container Registry: a service principal (stored) or the environment's Azure identity becomes an ACR
// refresh token (README.md beside this file).
import type { Cloud } from '../cloud.js';
import { ACR_REFRESH_TOKEN_USERNAME, isAcrHost, isTenantId } from './hosts.js';

export const azure = {
  name: 'azure',
  kinds: {
    'azure-acr': {
      exchanges: true,
      checked: false,
      verifiedAtLogin: true,
      hostImplies: isAcrHost,
      loginOption: 'tenant',
      identityTokenPasswordUsername: ACR_REFRESH_TOKEN_USERNAME,
      sourceHosts: isAcrHost,
      provider: async () => (await import('./acr-provider.js')).azureAcrProvider,
    },
  },
  sources: [
    {
      name: 'azure-workload-identity',
      notConfigured: ({ config }) =>
        config.identity.azure.federatedTokenFile ? undefined : 'AZURE_FEDERATED_TOKEN_FILE not set',
      credential: async ({ config, timeoutMs }) =>
        (await import('./sources.js')).azureWorkloadIdentity(config.identity.azure, {
          ...(config.azureAuthorityHost ? { authorityHost: config.azureAuthorityHost } : {}),
          ...(timeoutMs ? { timeoutMs } : {}),
        }),
    },
    {
      name: 'azure-managed-identity',
      metadata: true,
      async credential({ config, options }) {
        const clientId = options.clientId ?? config.identity.azure.clientId;
        return (await import('./sources.js')).azureManagedIdentity(config.identity.azure, clientId ? { clientId } : {});
      },
    },
  ],
  loginOptions: [
    {
      flag: 'tenant',
      key: 'tenant',
      describe: 'Microsoft Entra tenant of the service principal (-u its client id): an Azure ACR login',
      problem: (value) =>
        isTenantId(value)
          ? undefined
          : `--tenant needs a directory (tenant) id or domain, not ${JSON.stringify(value)}`,
    },
    {
      flag: 'acr-endpoint',
      key: 'acrEndpoint',
      describe: "where the registry's /oauth2/exchange is served (default https://<registry>)",
      endpoint: true,
    },
    { flag: 'client-id', key: 'clientId', describe: "Azure: a user-assigned managed identity's client id" },
  ],
} as const satisfies Cloud;
