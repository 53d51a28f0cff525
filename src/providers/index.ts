// Kind -> provider, loaded lazily so a `get` pays only for the provider it uses.
// Adding a kind means adding a file and one line here.
import type { Kind } from '../mapping/types.js';
import type { Provider } from './provider.js';

const LOADERS: Record<Kind, () => Promise<Provider>> = {
  'ibm-iam': async () => (await import('./ibm-iam.js')).ibmIamProvider,
  'iam-refresh': async () => (await import('./iam-refresh.js')).iamRefreshProvider,
  openshift: async () => (await import('./openshift.js')).openshiftProvider,
  dockerhub: async () => (await import('./dockerhub.js')).dockerHubProvider,
  oauth2: async () => (await import('./oauth2.js')).oauth2Provider,
  'identity-token': async () => (await import('./static.js')).staticProvider,
  static: async () => (await import('./static.js')).staticProvider,
};

export function loadProvider(kind: Kind): Promise<Provider> {
  return LOADERS[kind]();
}

/** Kinds whose provider may exchange, known without loading anything (for the hot path and the daemon). */
export const EXCHANGING_KINDS: ReadonlySet<Kind> = new Set(['ibm-iam', 'iam-refresh', 'openshift', 'oauth2']);
