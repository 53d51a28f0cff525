// GitHub's container registries (ghcr.io): a token answered as it is and checked against the registry's own
// token realm every few hours (README.md beside this file).
import type { Cloud } from '../cloud.js';
import { isGitHubRegistry } from './hosts.js';

export const github = {
  name: 'github',
  kinds: {
    github: {
      exchanges: false,
      checked: true,
      hostImplies: isGitHubRegistry,
      provider: async () => (await import('./provider.js')).githubProvider,
    },
  },
} as const satisfies Cloud;
