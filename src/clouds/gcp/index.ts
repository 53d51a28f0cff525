// Google Artifact Registry and Container Registry: a key file (stored) or the environment's Google identity
// becomes a 1-hour access token (README.md beside this file).
import type { Cloud } from '../cloud.js';
import { GOOGLE_REGISTRY_HOSTS, isGoogleRegistry } from './hosts.js';

// What Google's registries take besides a key file: a pasted access token (docker-credential-gcr's own username
// is `_dcgcr_<version>_token`). Such a login is kept as it is.
const GOOGLE_ACCESS_TOKEN_USERNAME = /^(?:oauth2accesstoken|_dcgcr_\w+_token)$/;

// The pod's identity (kubelet mode, docs/kubernetes.md): GKE's own annotation names the Google service account;
// the pool provider that trusts the cluster's tokens has no GKE annotation, so lanyard reads one of its own name.
const PROVIDER_ANNOTATION = 'iam.gke.io/workload-identity-pool-provider';
const SERVICE_ACCOUNT_ANNOTATION = 'iam.gke.io/gcp-service-account';

export const gcp = {
  name: 'gcp',
  kinds: {
    gcp: {
      exchanges: true,
      checked: false,
      verifiedAtLogin: true,
      hostImplies: (serverKey, username) => isGoogleRegistry(serverKey) && !GOOGLE_ACCESS_TOKEN_USERNAME.test(username),
      sourceHosts: isGoogleRegistry,
      provider: async () => (await import('./provider.js')).gcpProvider,
    },
  },
  sources: [
    {
      name: 'gcp-adc',
      notConfigured: async ({ config }) =>
        (await import('./sources.js')).adcFilePath(config.identity.google) ? undefined : 'no ADC file',
      credential: async ({ config }) => (await import('./sources.js')).googleApplicationDefault(config.identity.google),
    },
    {
      name: 'gcp-metadata',
      metadata: true,
      credential: async ({ config }) => (await import('./sources.js')).googleMetadata(config.identity.google),
    },
  ],
  podIdentity: {
    missingAnnotation: (annotations) => (annotations[PROVIDER_ANNOTATION] ? undefined : PROVIDER_ANNOTATION),
    async credential(pod, { config, timeoutMs }) {
      const named = (annotation: string) => {
        const value = pod.annotations[annotation];
        return value ? { annotation, value } : undefined;
      };
      const serviceAccount = named(SERVICE_ACCOUNT_ANNOTATION);
      const names = { provider: named(PROVIDER_ANNOTATION)!, ...(serviceAccount ? { serviceAccount } : {}) };
      const context = { config, ...(timeoutMs ? { timeoutMs } : {}) };
      return (await import('./pod-identity.js')).googlePodIdentity(pod.token, names, config.identity.google, context);
    },
  },
  knownHosts: GOOGLE_REGISTRY_HOSTS,
} as const satisfies Cloud;
