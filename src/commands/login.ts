// `login SERVER`: the management twin of `docker login`, with what docker cannot say:
// the kind, the store, an env variable for CI, host patterns.
import type { Argv } from 'yargs';
import { UserError } from '../errors.js';
import { KINDS, STORE_NAMES, type Kind, type StoreName } from '../mapping/types.js';
import { readPassword } from './read-password.js';

export function registerLogin(cli: Argv): Argv {
  return cli.command(
    'login <server>',
    'store a login for a registry or host pattern',
    (y) => y
      .positional('server', { type: 'string', describe: 'registry host (us.icr.io, docker.io, host:port) or pattern (*.icr.io)' })
      .option('username', { alias: 'u', type: 'string', describe: 'username (iamapikey for an IBM Cloud API key)' })
      .option('kind', { type: 'string', choices: KINDS, describe: 'what the secret is (inferred when omitted)' })
      .option('store', { type: 'string', choices: STORE_NAMES, describe: 'where the secret lives (default: keychain, or LANYARD_STORE)' })
      .option('secret-env', { type: 'string', describe: 'read the secret from this environment variable at use time (CI)' })
      .option('password-stdin', { type: 'boolean', default: false, describe: 'read the secret from stdin' })
      .example("echo \"$IBMCLOUD_API_KEY\" | $0 login us.icr.io -u iamapikey --password-stdin", 'an IBM Cloud API key for one region')
      .example("$0 login '*.icr.io' -u iamapikey --password-stdin < key.txt", 'one key for every ICR region')
      .example('$0 login ghcr.io -u me --secret-env GHCR_TOKEN', 'CI: the secret comes from the environment'),
    async (argv) => {
      const username = argv.username ?? (argv.kind === 'ibm-iam' ? 'iamapikey' : undefined);
      if (!username) throw new UserError('login needs a username: -u USER');
      const secretEnv = argv['secret-env'];
      if (secretEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretEnv)) throw new UserError(`--secret-env needs a variable name, not ${JSON.stringify(secretEnv)}`);
      const secret = secretEnv !== undefined ? '' : await readPassword(argv['password-stdin']);
      if (secretEnv === undefined && secret === '') throw new UserError('the secret is empty');
      const { storeCredential } = await import('../credentials/store-credential.js');
      const entry = await storeCredential({
        serverURL: argv.server!,
        username,
        secret,
        kind: argv.kind as Kind | undefined,
        store: argv.store as StoreName | undefined,
        secretEnv,
      });
      process.stderr.write(`Stored ${entry.kind} login for ${entry.server} (user ${entry.username}) in the ${entry.store} store.\n`);
    },
  );
}
