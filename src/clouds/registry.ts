// Kind -> provider, loaded lazily so a `get` pays only for the provider it uses.
// Adding a kind means adding a file, one line here and one row in ./kinds.ts.
import type { Kind, MappingEntry } from '../mapping/types.js';
import type { Provider } from './provider.js';

const LOADERS: Record<Kind, () => Promise<Provider>> = {
  'ibm-iam': async () => (await import('./ibm/ibm-iam.js')).ibmIamProvider,
  'iam-refresh': async () => (await import('./ibm/iam-refresh.js')).iamRefreshProvider,
  openshift: async () => (await import('./openshift/provider.js')).openshiftProvider,
  dockerhub: async () => (await import('./dockerhub/provider.js')).dockerHubProvider,
  oauth2: async () => (await import('./generic/oauth2.js')).oauth2Provider,
  'identity-token': async () => (await import('./generic/static.js')).staticProvider,
  static: async () => (await import('./generic/static.js')).staticProvider,
  'aws-ecr': async () => (await import('./aws/ecr-provider.js')).awsEcrProvider,
  'azure-acr': async () => (await import('./azure/acr-provider.js')).azureAcrProvider,
  gcp: async () => (await import('./gcp/provider.js')).gcpProvider,
};

export function loadProvider(kind: Kind): Promise<Provider> {
  return LOADERS[kind]();
}

/** Runs the `check` hook of a kind whose row in ./kinds.ts says `checked`; resolves to what was confirmed. */
export async function checkSecret(entry: MappingEntry, secret: string): Promise<string> {
  const provider = await loadProvider(entry.kind);
  if (!provider.check) throw new Error(`the ${entry.kind} provider has no check`); // a table error: kinds.test.ts
  return provider.check(entry, secret);
}
