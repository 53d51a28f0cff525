// Read-only secrets from environment variables, for CI: the mapping entry names the
// variable (`login SERVER -u USER --secret-env VAR`), the CI system injects its value.
import type { Environment } from '../config.js';
import { UserError } from '../errors.js';
import type { SecretStore } from './secret-store.js';

/** The store over `env`: the configuration's environment, read when a secret is asked for. */
export const envStore = (env: Environment): SecretStore => ({
  name: 'env',
  async read(ref) {
    const value = env[ref];
    return value === undefined || value === '' ? undefined : value;
  },
  async write() {
    throw new UserError(
      'the env store is read-only: set the secret in the environment and map it with ' +
        '`docker-credential-lanyard login SERVER -u USER --secret-env VAR`',
    );
  },
  async delete() {
    // The variable belongs to the environment; forgetting the mapping entry is all there is to do.
  },
  describe(ref) {
    return `the environment variable ${ref}`;
  },
});
