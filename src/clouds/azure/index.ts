// Azure Container Registry: a service principal (stored) or the environment's Azure identity becomes an ACR
// refresh token (README.md beside this file).
import type { Cloud } from '../cloud.js';
import { ACR_REFRESH_TOKEN_USERNAME, isAcrHost, isTenantId } from './hosts.js';

// The pod's identity (kubelet mode, docs/kubernetes.md), as Azure Workload Identity's webhook reads it.
const CLIENT_ID_ANNOTATION = 'azure.workload.identity/client-id';
const TENANT_ANNOTATION = 'azure.workload.identity/tenant-id';

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
  // DefaultAzureCredential's order: the environment's service principal, workload identity, managed identity,
  // then the Azure CLI's login (the laptop's). Each is tried only when configured, so one principal is chosen.
  sources: [
    {
      name: 'azure-env',
      notConfigured: async ({ config }) =>
        (await import('./env-credential.js')).environmentNotConfigured(config.identity.azure),
      credential: async ({ config, timeoutMs }) =>
        (await import('./env-credential.js')).azureEnvironment(config.identity.azure, {
          ...(config.azureAuthorityHost ? { authorityHost: config.azureAuthorityHost } : {}),
          ...(timeoutMs ? { timeoutMs } : {}),
        }),
    },
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
    {
      name: 'azure-cli',
      notConfigured: async ({ config }) =>
        (await import('./cli-credential.js')).cliOnPath(config.env) ? undefined : 'az not on PATH',
      // Its own 10 s deadline, as AzureCliCredential's: az starts Python and may refresh over the network.
      credential: async ({ config }) => (await import('./cli-credential.js')).azureCli(config.env),
    },
  ],
  // The pod's service-account token is the federated client assertion of the app its service account names.
  podIdentity: {
    missingAnnotation(annotations, { config }) {
      if (!annotations[CLIENT_ID_ANNOTATION]) return CLIENT_ID_ANNOTATION;
      return annotations[TENANT_ANNOTATION] || config.identity.azure.tenantId ? undefined : TENANT_ANNOTATION;
    },
    async credential(pod, { config, timeoutMs }) {
      return (await import('./entra-grant.js')).entraClientCredentials({
        ...(config.azureAuthorityHost ? { authorityHost: config.azureAuthorityHost } : {}),
        tenant: (pod.annotations[TENANT_ANNOTATION] || config.identity.azure.tenantId)!,
        clientId: pod.annotations[CLIENT_ID_ANNOTATION]!,
        proof: { client_assertion: pod.token },
        proofName: "pod's service-account token",
        // A pod sets them by annotation (the tenant, without one, comes from AZURE_TENANT_ID).
        names: {
          clientId: `the annotation ${CLIENT_ID_ANNOTATION}`,
          tenant: pod.annotations[TENANT_ANNOTATION] ? `the annotation ${TENANT_ANNOTATION}` : 'AZURE_TENANT_ID',
        },
        ...(timeoutMs ? { timeoutMs } : {}),
      });
    },
  },
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
