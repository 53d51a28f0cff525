// `login SERVER`: the management twin of `docker login`, with what docker cannot say:
// the kind, the store, an env variable for CI, host patterns.
import type { Argv } from 'yargs';
import { resolve } from 'node:path';
import { UserError } from '../errors.js';
import { assertSafeEndpoint, readCaBundle } from '../http.js';
import { KINDS, STORE_NAMES, type Kind, type StoreName } from '../mapping/types.js';
import { KIND_TRAITS } from '../providers/kinds.js';
import { readPassword } from './read-password.js';
import { writeErr } from '../output.js';

const OPTION_KEYS = {
  'iam-endpoint': 'iamEndpoint',
  'api-server': 'apiServer',
  namespace: 'namespace',
  'service-account': 'serviceAccount',
  'ca-file': 'caFile',
  'expiration-seconds': 'expirationSeconds',
  'hub-endpoint': 'hubEndpoint',
} as const;

/** Provider settings for the mapping entry; endpoints are checked now rather than at the first pull. */
function providerOptions(argv: Record<string, unknown>): Record<string, string> {
  const options: Record<string, string> = {};
  for (const [flag, key] of Object.entries(OPTION_KEYS)) {
    const value = argv[flag];
    if (typeof value === 'string' && value !== '') options[key] = key === 'caFile' ? resolve(value) : value;
  }
  for (const key of ['iamEndpoint', 'apiServer', 'hubEndpoint'] as const) {
    if (options[key]) assertSafeEndpoint(options[key], `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`);
  }
  if (options.caFile) readCaBundle(options.caFile); // a typo is told now, not at the first pull
  if (options.expirationSeconds !== undefined && !/^\d+$/.test(options.expirationSeconds)) {
    throw new UserError(
      `--expiration-seconds needs a whole number of seconds, not ${JSON.stringify(options.expirationSeconds)}`,
    );
  }
  if ((options.apiServer === undefined) !== (options.serviceAccount === undefined)) {
    throw new UserError('--api-server and --service-account go together (with --namespace)');
  }
  return options;
}

export function registerLogin(cli: Argv): Argv {
  return cli.command(
    'login <server>',
    'store a login for a registry or host pattern',
    (y) =>
      y
        .positional('server', {
          type: 'string',
          describe: 'registry host (us.icr.io, docker.io, host:port) or pattern (*.icr.io)',
        })
        .option('username', { alias: 'u', type: 'string', describe: 'username (iamapikey for an IBM Cloud API key)' })
        .option('kind', { type: 'string', choices: KINDS, describe: 'what the secret is (inferred when omitted)' })
        .option('store', {
          type: 'string',
          choices: STORE_NAMES,
          describe: 'where the secret lives (default: keychain, or LANYARD_STORE)',
        })
        .option('secret-env', {
          type: 'string',
          describe: 'read the secret from this environment variable at use time (CI)',
        })
        .option('iam-endpoint', {
          type: 'string',
          describe: 'IBM Cloud IAM endpoint (default https://iam.cloud.ibm.com, or LANYARD_IAM_ENDPOINT)',
        })
        .option('api-server', {
          type: 'string',
          describe: 'OpenShift/Kubernetes API server that mints service-account tokens',
        })
        .option('namespace', { type: 'string', describe: 'namespace of the service account (with --api-server)' })
        .option('service-account', {
          type: 'string',
          describe: 'service account to mint bound tokens for (with --api-server)',
        })
        .option('ca-file', { type: 'string', describe: 'PEM CA bundle for the IAM endpoint or the API server' })
        .option('expiration-seconds', {
          type: 'string',
          describe: 'lifetime to request for minted service-account tokens (default 3600, at least 600)',
        })
        .option('hub-endpoint', {
          type: 'string',
          describe: 'Docker Hub API used to check the access token (default https://hub.docker.com)',
        })
        .option('password-stdin', { type: 'boolean', default: false, describe: 'read the secret from stdin' })
        .example(
          'echo "$IBMCLOUD_API_KEY" | $0 login us.icr.io -u iamapikey --password-stdin',
          'an IBM Cloud API key for one region',
        )
        .example("$0 login '*.icr.io' -u iamapikey --password-stdin < key.txt", 'one key for every ICR region')
        .example('$0 login ghcr.io -u me --secret-env GHCR_TOKEN', 'CI: the secret comes from the environment')
        .example(
          'oc whoami -t | $0 login registry.lpg.appuio.cloud -u robot --kind openshift ' +
            '--api-server https://api.lpg.appuio.cloud:6443 --namespace ci --service-account pusher --password-stdin',
          'mint 1-hour bound service-account tokens',
        ),
    async (argv) => {
      const kind = argv.kind as Kind | undefined; // one of KINDS: yargs checks the choices
      // Without -u, a key file names its owner (see storeCredential); other logins are refused there.
      const username = argv.username ?? (kind && KIND_TRAITS[kind].username) ?? '';
      const secretEnv = argv['secret-env'];
      if (secretEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(secretEnv))
        throw new UserError(`--secret-env needs a variable name, not ${JSON.stringify(secretEnv)}`);
      const secret = secretEnv !== undefined ? '' : await readPassword(argv['password-stdin']);
      if (secretEnv === undefined && secret === '') throw new UserError('the secret is empty');
      const { storeCredential } = await import('../credentials/store-credential.js');
      const entry = await storeCredential({
        serverURL: argv.server!,
        username,
        secret,
        kind,
        store: argv.store as StoreName | undefined,
        secretEnv,
        options: providerOptions(argv),
        verify: secretEnv === undefined,
      });
      writeErr(
        `Stored ${entry.kind} login for ${entry.server} (user ${entry.username}) in the ${entry.store} store.\n`,
      );
    },
  );
}
