// Any other registry: a password or registry token kept as it is, an identity token, or a password traded for
// tokens with the registry's own token service (README.md beside this file).
import { type Cloud, IDENTITY_TOKEN_USERNAME } from '../cloud.js';

export const generic = {
  name: 'generic',
  kinds: {
    oauth2: {
      exchanges: true,
      checked: false,
      identityTokenFromPassword: true,
      provider: async () => (await import('./oauth2.js')).oauth2Provider,
    },
    'identity-token': {
      exchanges: false,
      checked: false,
      username: IDENTITY_TOKEN_USERNAME,
      provider: async () => (await import('./static.js')).staticProvider,
    },
    static: {
      exchanges: false,
      checked: false,
      provider: async () => (await import('./static.js')).staticProvider,
    },
  },
} as const satisfies Cloud;
