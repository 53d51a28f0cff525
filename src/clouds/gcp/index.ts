// Google Artifact Registry and Container Registry: a key file (stored) or the environment's Google identity
// becomes a 1-hour access token (README.md beside this file).
import type { Cloud } from '../cloud.js';
import { GOOGLE_REGISTRY_HOSTS, isGoogleRegistry } from './hosts.js';

// What Google's registries take besides a key file: a pasted access token (docker-credential-gcr's own username
// is `_dcgcr_<version>_token`). Such a login is kept as it is.
const GOOGLE_ACCESS_TOKEN_USERNAME = /^(?:oauth2accesstoken|_dcgcr_\w+_token)$/;

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
  knownHosts: GOOGLE_REGISTRY_HOSTS,
} as const satisfies Cloud;
