// Docker Hub: a personal or organisation access token, answered as it is and checked with Hub's API every few
// hours (README.md beside this file).
import { DOCKER_HUB_KEY } from '../../hosts/dockerhub.js';
import type { Cloud } from '../cloud.js';

export const dockerhub = {
  name: 'dockerhub',
  kinds: {
    dockerhub: {
      exchanges: false,
      checked: true,
      hostImplies: (serverKey) => serverKey === DOCKER_HUB_KEY,
      provider: async () => (await import('./provider.js')).dockerHubProvider,
    },
  },
  loginOptions: [
    {
      flag: 'hub-endpoint',
      key: 'hubEndpoint',
      describe: 'Docker Hub API used to check the access token (default https://hub.docker.com)',
      endpoint: true,
    },
  ],
} as const satisfies Cloud;
