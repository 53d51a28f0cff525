// The environment's service principal, as the Azure Identity libraries' EnvironmentCredential reads it:
// AZURE_TENANT_ID and AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, else with AZURE_CLIENT_CERTIFICATE_PATH (and
// AZURE_CLIENT_CERTIFICATE_PASSWORD), whose key signs a client assertion. A secret wins over a certificate.
import type { AzureIdentityConfig } from '../../config.js';
import { UserError } from '../../errors.js';
import { clientAssertion } from './client-assertion.js';
import { readClientCertificate } from './client-certificate.js';
import { type AzureCredential, type EntraGrant, entraClientCredentials, entraTokenUrl } from './entra-grant.js';

export interface EnvironmentOptions {
  /** AZURE_AUTHORITY_HOST (the azure-acr work's setting); default https://login.microsoftonline.com. */
  authorityHost?: string;
  timeoutMs?: number;
}

/** Why EnvironmentCredential would not be used here (a variable missing); undefined when it would. */
export function environmentNotConfigured(azure: AzureIdentityConfig): string | undefined {
  const proof = azure.clientSecret ?? azure.clientCertificatePath;
  const missing = [
    ['AZURE_TENANT_ID', azure.tenantId],
    ['AZURE_CLIENT_ID', azure.clientId],
    ['AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH', proof],
  ].filter(([, value]) => !value);
  return missing.length ? `${missing.map(([name]) => name).join(', ')} not set` : undefined;
}

export async function azureEnvironment(
  azure: AzureIdentityConfig,
  options: EnvironmentOptions = {},
): Promise<AzureCredential> {
  const problem = environmentNotConfigured(azure);
  if (problem) throw new UserError(`Azure environment credential: ${problem}`);
  const tenant = azure.tenantId!;
  const clientId = azure.clientId!;
  const grant: Omit<EntraGrant, 'proof' | 'proofName'> = { ...options, tenant, clientId };
  if (azure.clientSecret) {
    return entraClientCredentials({
      ...grant,
      proof: { client_secret: azure.clientSecret },
      proofName: 'client secret',
    });
  }
  const certificate = readClientCertificate(azure.clientCertificatePath!, azure.clientCertificatePassword);
  const audience = entraTokenUrl(options.authorityHost, tenant).href;
  return entraClientCredentials({
    ...grant,
    proof: { client_assertion: clientAssertion(certificate, clientId, audience) },
    proofName: 'certificate',
  });
}
